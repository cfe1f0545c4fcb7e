// See cert_mint.hpp.
#include "proxy/cert_mint.hpp"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

namespace proxy {

namespace {

using BignumPtr = decoder::OpenSslPtr<BIGNUM, BN_free>;
using ExtensionPtr = decoder::OpenSslPtr<X509_EXTENSION, X509_EXTENSION_free>;

bool set_serial(X509* x, const std::string& hex) {
    BignumPtr bn(BN_new());
    if (!bn) return false;
    if (hex.empty()) {
        // Random and positive: 127 bits fit the 20 octets RFC 5280 allows.
        if (BN_rand(bn.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) return false;
    } else {
        BIGNUM* parsed = bn.release();
        const int n = BN_hex2bn(&parsed, hex.c_str());
        bn.reset(parsed);
        if (n <= 0) return false;
    }
    return BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x)) != nullptr;
}

bool set_validity(X509* x, const CertDescription& d) {
    if (d.validity_of)
        return X509_set1_notBefore(x, X509_get0_notBefore(d.validity_of)) == 1 &&
               X509_set1_notAfter(x, X509_get0_notAfter(d.validity_of)) == 1;
    return X509_gmtime_adj(X509_getm_notBefore(x), d.not_before) && X509_gmtime_adj(X509_getm_notAfter(x), d.not_after);
}

bool add_extension(X509* x, const X509* issuer, const Extension& e) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, const_cast<X509*>(issuer ? issuer : x), x, nullptr, nullptr, 0);
    ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, e.nid, e.value.c_str()));
    return ext && X509_add_ext(x, ext.get(), -1) == 1;
}

}  // namespace

KeyType key_type_of(const EVP_PKEY* key) {
    KeyType type;
    if (key && EVP_PKEY_is_a(key, "RSA")) {
        type.algorithm = KeyType::Rsa;
        type.rsa_bits = static_cast<unsigned>(EVP_PKEY_get_bits(key));
    } else if (key && EVP_PKEY_is_a(key, "EC")) {
        char curve[64] = "";
        std::size_t n = 0;
        if (EVP_PKEY_get_group_name(key, curve, sizeof curve, &n) == 1) type.ec_curve = curve;
    }
    return type;
}

PkeyPtr make_key(const KeyType& type) {
    return PkeyPtr(type.algorithm == KeyType::Rsa ? EVP_RSA_gen(type.rsa_bits) : EVP_EC_gen(type.ec_curve.c_str()));
}

X509NamePtr make_name(const std::vector<NameEntry>& entries) {
    X509NamePtr name(X509_NAME_new());
    for (const auto& e : entries)
        if (!name || X509_NAME_add_entry_by_txt(name.get(), e.field.c_str(), e.type,
                                                reinterpret_cast<const unsigned char*>(e.value.c_str()), -1, -1,
                                                0) != 1)
            return nullptr;
    return name;
}

X509Ptr mint_certificate(const CertDescription& d) {
    X509Ptr cert(X509_new());
    X509* x = cert.get();
    const X509_NAME* issuer_name = d.issuer ? X509_get_subject_name(d.issuer) : d.subject;
    bool ok = x && d.subject && d.key && (!d.issuer || d.issuer_key) && X509_set_version(x, X509_VERSION_3) &&
              set_serial(x, d.serial_hex) && X509_set_subject_name(x, d.subject) &&
              X509_set_issuer_name(x, issuer_name) && set_validity(x, d) && X509_set_pubkey(x, d.key);
    for (const X509_EXTENSION* e : d.copied) ok = ok && X509_add_ext(x, const_cast<X509_EXTENSION*>(e), -1) == 1;
    for (const Extension& e : d.extensions) ok = ok && add_extension(x, d.issuer, e);
    ok = ok && X509_sign(x, d.issuer ? d.issuer_key : d.key, d.digest ? d.digest : EVP_sha256()) > 0;
    return ok ? std::move(cert) : nullptr;
}

}  // namespace proxy
