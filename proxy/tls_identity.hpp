// A certificate (with its chain) and private key the relay presents, loaded at startup from
// PEM files or a PKCS#12 bundle. Loading problems throw std::runtime_error naming the file.
#pragma once

#include <memory>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string>
#include <vector>

#include "decoder/base/openssl_ptr.hpp"
#include "proxy/relay_config.hpp"

namespace proxy {

using X509Ptr = decoder::OpenSslPtr<X509, X509_free>;
using PkeyPtr = decoder::OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;

struct Identity {
    X509Ptr cert;
    PkeyPtr key;
    std::vector<X509Ptr> chain;  // intermediates (and maybe the root), leaf excluded
};

// PKCS#12 password comes from the environment variable SIPTAP_P12_PASSWORD (empty if unset).
Identity load_identity(const IdentityFiles& files);

// Installs the identity on a context or a single connection (certificate, key, chain).
void use_identity(SSL_CTX* ctx, const Identity& id);
// On failure `error` (may be null) gets OpenSSL's reasons, and the error queue is emptied.
bool use_identity(SSL* ssl, const Identity& id, std::string* error = nullptr) noexcept;

// The OpenSSL error queue as one line (and empties it).
std::string drain_openssl_errors();

}  // namespace proxy
