#include "proxy/empty_crl.hpp"

#include <ctime>
#include <memory>
#include <openssl/x509v3.h>
#include <stdexcept>

#include "decoder/base/openssl_ptr.hpp"

namespace proxy {

namespace {

using TimePtr = decoder::OpenSslPtr<ASN1_TIME, ASN1_TIME_free>;

std::time_t seconds(std::chrono::system_clock::time_point t) { return std::chrono::system_clock::to_time_t(t); }

// The authority key identifier names the CA key that signed, so a verifier holding several
// certificates of the CA's name picks the right one. Only when the CA has a key identifier.
bool add_authority_key_id(X509_CRL* crl, X509* ca) {
    const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(ca);
    if (!ski) return true;
    AUTHORITY_KEYID* akid = AUTHORITY_KEYID_new();
    const bool ok = akid && (akid->keyid = ASN1_OCTET_STRING_dup(ski)) != nullptr &&
                    X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0, X509V3_ADD_DEFAULT) == 1;
    AUTHORITY_KEYID_free(akid);
    return ok;
}

// The CRL number only grows: thisUpdate in seconds, also across restarts of siptap.
bool add_crl_number(X509_CRL* crl, std::time_t this_update) {
    ASN1_INTEGER* number = ASN1_INTEGER_new();
    const bool ok = number && ASN1_INTEGER_set_int64(number, this_update) == 1 &&
                    X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, X509V3_ADD_DEFAULT) == 1;
    ASN1_INTEGER_free(number);
    return ok;
}

// EdDSA keys sign without a separate digest; RSA and EC CAs sign with SHA-256.
const EVP_MD* crl_digest(EVP_PKEY* key) {
    return EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448") ? nullptr : EVP_sha256();
}

}  // namespace

EmptyCrl::EmptyCrl(const Identity& ca) : ca_(ca) {
    if ((X509_get_key_usage(ca.cert.get()) & KU_CRL_SIGN) == 0)
        throw std::runtime_error("the CA's key usage has no cRLSign, so no verifier accepts a CRL it signs");
}

std::string EmptyCrl::der(std::chrono::system_clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (!der_.empty() && now >= made_ && now - made_ < kCrlRefresh) return der_;
    const std::time_t this_update = seconds(now - kCrlBackdate);
    decoder::OpenSslPtr<X509_CRL, X509_CRL_free> crl(X509_CRL_new());
    TimePtr last(ASN1_TIME_set(nullptr, this_update)), next(ASN1_TIME_set(nullptr, seconds(now + kCrlValidity)));
    X509_CRL* c = crl.get();
    const bool ok = c && last && next && X509_CRL_set_version(c, X509_CRL_VERSION_2) == 1 &&
                    X509_CRL_set_issuer_name(c, X509_get_subject_name(ca_.cert.get())) == 1 &&
                    X509_CRL_set1_lastUpdate(c, last.get()) == 1 && X509_CRL_set1_nextUpdate(c, next.get()) == 1 &&
                    add_authority_key_id(c, ca_.cert.get()) && add_crl_number(c, this_update) &&
                    X509_CRL_sign(c, ca_.key.get(), crl_digest(ca_.key.get())) > 0;
    unsigned char* out = nullptr;
    const int len = ok ? i2d_X509_CRL(c, &out) : -1;
    if (len <= 0) throw std::runtime_error("cannot sign a CRL: " + drain_openssl_errors());
    der_.assign(reinterpret_cast<const char*>(out), static_cast<std::size_t>(len));
    OPENSSL_free(out);
    made_ = now;
    return der_;
}

}  // namespace proxy
