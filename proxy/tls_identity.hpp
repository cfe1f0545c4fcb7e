// A certificate (with its chain) and private key the relay presents, loaded at startup from
// PEM files or a PKCS#12 bundle. Loading problems throw std::runtime_error naming the file.
#pragma once

#include <memory>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string>
#include <vector>

#include "proxy/relay_config.hpp"

namespace proxy {

struct X509Free { void operator()(X509* x) const { X509_free(x); } };
struct PkeyFree { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

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
