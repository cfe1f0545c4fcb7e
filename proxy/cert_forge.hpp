// Mode (b)/(c) certificates: for each certificate a peer presents, a forgery that keeps what a
// peer can refuse: subject (attribute order and string types), SANs, key usage, extended key
// usage, basic constraints, validity (an expired original stays expired), a fresh key of the
// same type and size (RSA-1024 stays RSA-1024) and the original's signature digest (SHA-1
// stays SHA-1). It is signed by the --forge-ca when the original chains to a trusted root
// (--trust, default the system store plus the forge CA itself), else by a throwaway CA
// generated at startup that nobody trusts, so the far peer refuses the forgery as it would the
// original. Not copied: AIA and CRL distribution points (they would point at URLs whose CRLs
// and issuers the forging CA did not sign), and extensions other than the ones above. With
// --crl-listen, a forgery of an original that names a CRL distribution point names siptap's
// CRL of the CA that signed the forgery instead (one without names none, as the original).
// Cached per original (SHA-256 of its DER). Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <openssl/obj_mac.h>
#include <string>

#include "proxy/tls_identity.hpp"

namespace proxy {

// The extensions copied from the original as they are (--explain-mirroring lists these).
inline constexpr int kCopiedExtensions[] = {NID_basic_constraints, NID_key_usage, NID_ext_key_usage,
                                            NID_subject_alt_name};

// Which roots decide whether an original is trusted, for the start-up line: the --trust file,
// or (empty) the system roots where OpenSSL finds them, and the forge CA.
std::string trust_roots_description(const std::string& trust_file);

class CertForge {
public:
    // Throws std::runtime_error naming the file when the CA or the trust file cannot be used.
    CertForge(const IdentityFiles& ca, const std::string& trust_file);
    ~CertForge();
    CertForge(const CertForge&) = delete;
    CertForge& operator=(const CertForge&) = delete;

    // `chain` (may be null) holds the intermediates the peer sent. Null and `error` set when
    // the forgery fails (never throws). `untrusted` (may be null) is set to why the original
    // was forged by the throwaway CA, and cleared when the forge CA signed it.
    std::shared_ptr<const Identity> forge(X509* original, STACK_OF(X509)* chain, std::string* error,
                                          std::string* untrusted = nullptr) noexcept;

    // --crl-listen: the URLs of the CRLs of the forge CA and of the throwaway CA, written into
    // forgeries of originals that name a CRL distribution point. Before the first forge().
    void set_crl_urls(std::string forge_ca_url, std::string throwaway_ca_url);
    const Identity& forge_ca() const { return ca_; }
    const Identity& untrusted_ca() const { return untrusted_ca_; }

    std::size_t cached() const;
    // Which roots decide whether an original is trusted (for the start-up line).
    const std::string& trust_description() const { return trust_description_; }

private:
    struct Forged {
        std::shared_ptr<const Identity> id;
        std::string untrusted;  // empty: signed by the forge CA
    };
    // Empty when the original chains to a trusted root, else OpenSSL's reason.
    std::string untrusted_reason(X509* original, STACK_OF(X509)* chain) const;
    std::shared_ptr<const Identity> make(X509* original, const Identity& signer, std::string* error) const;

    Identity ca_, untrusted_ca_;
    X509_STORE* trust_ = nullptr;
    std::string trust_description_;
    std::string crl_url_, untrusted_crl_url_;  // empty: no CRL distribution point
    mutable std::mutex mutex_;
    std::map<std::string, Forged> cache_;
};

}  // namespace proxy
