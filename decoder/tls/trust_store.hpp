// The trusted roots of --ca-file, read once when the run starts: every presented chain is
// verified against the same store (OpenSSL only reads it while verifying), rather than the
// file being opened and parsed again per chain.
#pragma once

#include <openssl/x509_vfy.h>

#include <string>

#include "decoder/base/openssl_ptr.hpp"

namespace decoder {

class TrustStore {
public:
    // Throws std::runtime_error naming the file when it cannot be read or holds no certificate.
    explicit TrustStore(const std::string& ca_file);

    X509_STORE* get() const { return store_.get(); }
    const std::string& file() const { return file_; }

private:
    std::string file_;
    OpenSslPtr<X509_STORE, X509_STORE_free> store_;
};

}  // namespace decoder
