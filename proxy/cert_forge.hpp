// Mode (b)/(c) certificates: for each certificate a peer presents, a forgery that copies its
// subject, SANs, key usages and validity (an expired original stays expired) with a fresh key
// of the same type, signed by the --forge-ca when the original chains to a trusted root
// (--trust, default the system store), else by a throwaway CA generated at startup that
// nobody trusts, so the far peer refuses the forgery as it would the original.
// Cached per original (SHA-256 of its DER). Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "proxy/tls_identity.hpp"

namespace proxy {

class CertForge {
public:
    // Throws std::runtime_error naming the file when the CA or the trust file cannot be used.
    CertForge(const IdentityFiles& ca, const std::string& trust_file);
    ~CertForge();
    CertForge(const CertForge&) = delete;
    CertForge& operator=(const CertForge&) = delete;

    // `chain` (may be null) holds the intermediates the peer sent. Null and `error` set when
    // the forgery fails (never throws).
    std::shared_ptr<const Identity> forge(X509* original, STACK_OF(X509)* chain, std::string* error) noexcept;

    std::size_t cached() const;

private:
    bool trusted(X509* original, STACK_OF(X509)* chain) const;
    std::shared_ptr<const Identity> make(X509* original, const Identity& signer, std::string* error) const;

    Identity ca_, untrusted_ca_;
    X509_STORE* trust_ = nullptr;
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<const Identity>> cache_;
};

}  // namespace proxy
