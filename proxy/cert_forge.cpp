#include "proxy/cert_forge.hpp"

#include <cstdlib>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <stdexcept>

#include "proxy/cert_mint.hpp"
#include "proxy/system_roots.hpp"

namespace proxy {

namespace {

constexpr std::size_t kMaxCached = 1024;

std::string sha256_key(X509* cert) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    X509_digest(cert, EVP_sha256(), md, &len);
    return std::string(reinterpret_cast<const char*>(md), len);
}

// A self-signed CA that exists only in this process: what it signs chains nowhere.
Identity throwaway_ca() {
    Identity ca;
    ca.key = make_key(KeyType{});
    const X509NamePtr name = make_name({{"CN", "siptap throwaway untrusted CA"}});
    CertDescription d;
    d.subject = name.get();
    d.key = ca.key.get();
    d.not_before = -86400;
    d.not_after = 86400L * 3650;
    d.extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                    {NID_key_usage, "critical,keyCertSign,cRLSign"},
                    {NID_subject_key_identifier, "hash"}};
    if (ca.key) ca.cert = mint_certificate(d);
    if (!ca.cert) throw std::runtime_error("cannot generate the throwaway CA: " + drain_openssl_errors());
    return ca;
}

// The original's signature digest, so that a peer refusing SHA-1 (or MD5) refuses the copy.
// The signing key is the CA's, so only the digest can be kept; one the CA's key type cannot
// sign with (MD5 with ECDSA, or none for EdDSA) falls back to SHA-256 for RSA and EC CAs.
const EVP_MD* digest_like(X509* original, EVP_PKEY* signer) {
    int md = NID_undef, pk = NID_undef;
    if (!OBJ_find_sigid_algs(X509_get_signature_nid(original), &md, &pk) || md == NID_undef)
        return EVP_sha256();
    if (EVP_PKEY_is_a(signer, "EC") && md != NID_sha1 && md != NID_sha224 && md != NID_sha256 &&
        md != NID_sha384 && md != NID_sha512)
        return EVP_sha256();
    const EVP_MD* d = EVP_get_digestbynid(md);
    return d ? d : EVP_sha256();
}

}  // namespace

std::string trust_roots_description(const std::string& trust_file) {
    if (!trust_file.empty()) return trust_file;
    const char* file = std::getenv(X509_get_default_cert_file_env());
    const char* dir = std::getenv(X509_get_default_cert_dir_env());
    return std::string("the system roots (") + (file ? file : X509_get_default_cert_file()) + ", " +
           (dir ? dir : X509_get_default_cert_dir()) + ") and the forge CA";
}

CertForge::CertForge(const IdentityFiles& ca, const std::string& trust_file)
    : ca_(load_identity(ca)), untrusted_ca_(throwaway_ca()), trust_(X509_STORE_new()) {
    // Without --trust, the system roots (read once, the hashed directory too) and the forge
    // CA itself are trusted: originals it issued (a lab's certificates) stay trusted.
    const bool ok = trust_file.empty() ? load_system_roots(trust_) && X509_STORE_add_cert(trust_, ca_.cert.get()) == 1
                                       : X509_STORE_load_file(trust_, trust_file.c_str()) == 1;
    trust_description_ = trust_roots_description(trust_file);
    if (!ok) {
        X509_STORE_free(trust_);
        throw std::runtime_error((trust_file.empty() ? std::string("system trust store") : trust_file) +
                                 ": cannot load trusted roots (" + drain_openssl_errors() + ")");
    }
}

CertForge::~CertForge() { X509_STORE_free(trust_); }

void CertForge::set_crl_urls(std::string forge_ca_url, std::string throwaway_ca_url) {
    crl_url_ = std::move(forge_ca_url);
    untrusted_crl_url_ = std::move(throwaway_ca_url);
}

std::size_t CertForge::cached() const {
    std::lock_guard lock(mutex_);
    return cache_.size();
}

// Whether the original chains to a trusted root; its validity period, signature digest and
// key size are judged by the far peer, on the copy (security level 0 here).
std::string CertForge::untrusted_reason(X509* original, STACK_OF(X509)* chain) const {
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    std::string why;
    if (!ctx || X509_STORE_CTX_init(ctx, trust_, original, chain) != 1) {
        why = "cannot check its chain: " + drain_openssl_errors();
    } else {
        X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
        X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
        X509_VERIFY_PARAM_set_auth_level(param, 0);
        if (X509_verify_cert(ctx) != 1)
            why = std::string("it does not chain to ") + trust_description_ + ": " +
                  X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
    }
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    return why;
}

std::shared_ptr<const Identity> CertForge::make(X509* original, const Identity& signer, std::string* error) const {
    auto id = std::make_shared<Identity>();
    // A fresh key of the original's type and size; subject, validity and the copied
    // extensions as they are; the original's digest where the signer's key allows it.
    id->key = make_key(key_type_of(X509_get0_pubkey(original)));
    CertDescription d;
    d.subject = X509_get_subject_name(original);
    d.key = id->key.get();
    d.issuer = signer.cert.get();
    d.issuer_key = signer.key.get();
    d.validity_of = original;
    for (int nid : kCopiedExtensions)
        if (const int at = X509_get_ext_by_NID(original, nid, -1); at >= 0) d.copied.push_back(X509_get_ext(original, at));
    // A peer that checks revocation fetches the CRL its issuer signed: ours, for our issuer.
    const std::string& crl_url = &signer == &ca_ ? crl_url_ : untrusted_crl_url_;
    if (!crl_url.empty() && X509_get_ext_by_NID(original, NID_crl_distribution_points, -1) >= 0)
        d.extensions.push_back({NID_crl_distribution_points, "URI:" + crl_url});
    d.extensions.push_back({NID_subject_key_identifier, "hash"});
    d.extensions.push_back({NID_authority_key_identifier, "keyid"});
    d.digest = digest_like(original, signer.key.get());
    if (id->key) id->cert = mint_certificate(d);
    if (!id->cert) {
        if (error) *error = "cannot forge a certificate: " + drain_openssl_errors();
        return nullptr;
    }
    X509_up_ref(signer.cert.get());
    id->chain.emplace_back(signer.cert.get());
    return id;
}

std::shared_ptr<const Identity> CertForge::forge(X509* original, STACK_OF(X509)* chain, std::string* error,
                                                 std::string* untrusted) noexcept {
    if (!original) {
        if (error) *error = "no certificate to forge";
        return nullptr;
    }
    const std::string key = sha256_key(original);
    auto found = [&](const Forged& f) {
        if (untrusted) *untrusted = f.untrusted;
        return f.id;
    };
    {
        std::lock_guard lock(mutex_);
        if (auto it = cache_.find(key); it != cache_.end()) return found(it->second);
    }
    Forged f{nullptr, untrusted_reason(original, chain)};
    f.id = make(original, f.untrusted.empty() ? ca_ : untrusted_ca_, error);
    if (!f.id) return nullptr;
    std::lock_guard lock(mutex_);
    if (cache_.size() >= kMaxCached) cache_.clear();  // bounded memory; forging again is cheap
    return found(cache_.emplace(key, std::move(f)).first->second);
}

}  // namespace proxy
