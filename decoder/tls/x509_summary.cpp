// X.509 summaries for certificate events; see x509_summary.hpp.
#include "decoder/tls/x509_summary.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <ctime>
#include <memory>

#include "decoder/base/openssl_ptr.hpp"

namespace decoder {
namespace {

using X509Ptr = OpenSslPtr<X509, X509_free>;
using NamePtr = OpenSslPtr<X509_NAME, X509_NAME_free>;
using BioPtr = OpenSslPtr<BIO, BIO_free>;
using BignumPtr = OpenSslPtr<BIGNUM, BN_free>;
using GeneralNamesPtr = OpenSslPtr<GENERAL_NAMES, GENERAL_NAMES_free>;

// Pops every queued OpenSSL error into one line ("" when there is none).
std::string drain_errors() {
    std::string text;
    while (unsigned long code = ERR_get_error()) {
        std::array<char, 256> buf{};
        ERR_error_string_n(code, buf.data(), buf.size());
        if (!text.empty()) text += "; ";
        text += buf.data();
    }
    return text;
}

std::string name_text(const X509_NAME* name) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!name || !bio) return {};
    // RFC 2253 (reversed, comma separated, escaped) but UTF-8 is printed, not \XX-escaped.
    const unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
    if (X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) return {};
    const char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

std::string asn1_utf8(const ASN1_STRING* s) {
    unsigned char* out = nullptr;
    const int len = s ? ASN1_STRING_to_UTF8(&out, s) : -1;
    if (len < 0) return {};
    std::string text(reinterpret_cast<const char*>(out), static_cast<std::size_t>(len));
    OPENSSL_free(out);
    return text;
}

std::string last_common_name(const X509_NAME* name) {
    int last = -1;
    for (int i = -1; (i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0;) last = i;
    if (last < 0) return {};
    return asn1_utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last)));
}

std::optional<Micros> asn1_time_micros(const ASN1_TIME* t) {
    std::tm tm{};
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
    return static_cast<Micros>(timegm(&tm)) * 1'000'000;
}

std::string hex_upper(const unsigned char* data, std::size_t n, bool colons) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string text;
    for (std::size_t i = 0; i < n; ++i) {
        if (colons && i) text += ':';
        text += digits[data[i] >> 4];
        text += digits[data[i] & 0xf];
    }
    return text;
}

std::string serial_text(const X509* x) {
    BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), nullptr));
    char* hex = bn ? BN_bn2hex(bn.get()) : nullptr;
    if (!hex) return {};
    std::string text(hex);
    OPENSSL_free(hex);
    return text;
}

std::string key_text(const X509* x) {
    EVP_PKEY* key = X509_get0_pubkey(x);
    if (!key) return "unknown";
    const int id = EVP_PKEY_get_base_id(key);
    const std::string bits = std::to_string(EVP_PKEY_get_bits(key));
    switch (id) {
    case EVP_PKEY_RSA: return "RSA-" + bits;
    case EVP_PKEY_RSA_PSS: return "RSA-PSS-" + bits;
    case EVP_PKEY_DSA: return "DSA-" + bits;
    case EVP_PKEY_ED25519: return "Ed25519";
    case EVP_PKEY_ED448: return "Ed448";
    case EVP_PKEY_EC: break;
    default: {
        const char* sn = OBJ_nid2sn(id);
        return sn ? std::string(sn) : "unknown";
    }
    }
    std::array<char, 64> group{};
    std::size_t len = 0;
    if (EVP_PKEY_get_group_name(key, group.data(), group.size(), &len) != 1) return "EC-" + bits;
    const std::string curve(group.data(), len);
    if (curve == "prime256v1" || curve == "P-256") return "EC-P-256";
    if (curve == "secp384r1" || curve == "P-384") return "EC-P-384";
    if (curve == "secp521r1" || curve == "P-521") return "EC-P-521";
    return "EC-" + curve;
}

// The signature algorithm's OpenSSL long name (sha256WithRSAEncryption, rsassaPss,
// ecdsa-with-SHA256, ...), or its dotted OID when OpenSSL has no name for it.
std::string signature_algorithm_text(const X509* x) {
    const int nid = X509_get_signature_nid(x);
    if (const char* ln = nid != NID_undef ? OBJ_nid2ln(nid) : nullptr) return ln;
    const X509_ALGOR* alg = nullptr;
    X509_get0_signature(nullptr, &alg, x);
    const ASN1_OBJECT* oid = nullptr;
    if (alg) X509_ALGOR_get0(&oid, nullptr, nullptr, alg);
    std::array<char, 128> buf{};
    return oid && OBJ_obj2txt(buf.data(), static_cast<int>(buf.size()), oid, 1) > 0 ? std::string(buf.data())
                                                                                     : "unknown";
}

// Extended Key Usage purposes (serverAuth, clientAuth, ... or dotted OIDs); nullopt when the
// extension is absent, which lets the certificate serve any purpose. One that is present but
// does not decode is also left out: the rest of the summary still holds, and no rule should
// name a purpose it cannot read.
void read_eku(const X509* x, Certificate& cert) {
    OpenSslPtr<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free> eku(static_cast<EXTENDED_KEY_USAGE*>(
        X509_get_ext_d2i(x, NID_ext_key_usage, nullptr, nullptr)));
    if (!eku) return;
    cert.eku.emplace();
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
        const ASN1_OBJECT* oid = sk_ASN1_OBJECT_value(eku.get(), i);
        const int nid = OBJ_obj2nid(oid);
        std::array<char, 128> buf{};
        if (nid != NID_undef) cert.eku->emplace_back(OBJ_nid2sn(nid));
        else if (OBJ_obj2txt(buf.data(), static_cast<int>(buf.size()), oid, 1) > 0) cert.eku->emplace_back(buf.data());
    }
}

// SAN DNS names and IP addresses; false when the extension is present but does not decode.
bool read_san(const X509* x, Certificate& cert) {
    int critical = -1;
    GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(x, NID_subject_alt_name, &critical, nullptr)));
    if (!names) return critical == -1;  // -1: absent; >= 0: present but broken; -2: repeated
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
        if (gn->type == GEN_DNS) {
            cert.san.push_back(asn1_utf8(gn->d.dNSName));
        } else if (gn->type == GEN_IPADD) {
            const ASN1_OCTET_STRING* ip = gn->d.iPAddress;
            const int family = ip->length == 4 ? AF_INET : ip->length == 16 ? AF_INET6 : 0;
            std::array<char, INET6_ADDRSTRLEN> buf{};
            if (family && inet_ntop(family, ip->data, buf.data(), buf.size()))
                cert.san_ip.emplace_back(buf.data());
            else
                cert.san_ip.push_back("#" + hex_upper(ip->data, static_cast<std::size_t>(ip->length), false));
        }
    }
    return true;
}

std::optional<Certificate> summarize(std::span<const std::byte> der, std::string& error) {
    const auto* start = reinterpret_cast<const unsigned char*>(der.data());
    const unsigned char* p = start;
    X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!x) {
        error = "certificate does not parse (" + drain_errors() + ")";
        return std::nullopt;
    }
    if (p != start + der.size()) {
        error = std::to_string(start + der.size() - p) + " bytes after the certificate's DER";
        return std::nullopt;
    }
    Certificate cert;
    cert.subject = name_text(X509_get_subject_name(x.get()));
    cert.subject_cn = last_common_name(X509_get_subject_name(x.get()));
    cert.issuer = name_text(X509_get_issuer_name(x.get()));
    const auto not_before = asn1_time_micros(X509_get0_notBefore(x.get()));
    const auto not_after = asn1_time_micros(X509_get0_notAfter(x.get()));
    if (!not_before || !not_after) {
        error = "certificate validity dates do not parse";
        return std::nullopt;
    }
    cert.not_before = *not_before;
    cert.not_after = *not_after;
    if (!read_san(x.get(), cert)) {
        error = "certificate subjectAltName extension does not parse";
        return std::nullopt;
    }
    read_eku(x.get(), cert);
    cert.signature_algorithm = signature_algorithm_text(x.get());
    cert.serial = serial_text(x.get());
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int md_len = 0;
    if (EVP_Digest(start, der.size(), md.data(), &md_len, EVP_sha256(), nullptr) == 1)
        cert.sha256 = hex_upper(md.data(), md_len, true);
    cert.key = key_text(x.get());
    cert.self_signed = X509_self_signed(x.get(), 1) == 1;
    cert.wildcard_cn = cert.subject_cn.find('*') != std::string::npos;
    cert.der.assign(reinterpret_cast<const char*>(start), der.size());
    return cert;
}

}  // namespace

std::optional<Certificate> summarize_certificate(std::span<const std::byte> der, Side side,
                                                 int index, std::string* error) noexcept {
    ERR_clear_error();
    std::string why;
    auto cert = summarize(der, why);
    drain_errors();
    if (cert) {
        cert->side = side;
        cert->index = index;
    } else if (error) {
        *error = std::move(why);
    }
    return cert;
}

std::optional<std::string> distinguished_name_text(std::span<const std::byte> der) noexcept {
    ERR_clear_error();
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    NamePtr name(d2i_X509_NAME(nullptr, &p, static_cast<long>(der.size())));
    const bool whole = name && p == reinterpret_cast<const unsigned char*>(der.data()) + der.size();
    std::optional<std::string> text;
    if (whole) text = name_text(name.get());
    drain_errors();
    return text;
}

}  // namespace decoder
