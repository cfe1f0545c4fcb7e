// summarize_certificate / distinguished_name_text against certificates generated at run time,
// checked against the values they were made with and against what OpenSSL itself reports.
#include <catch2/catch.hpp>

#include <openssl/err.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdlib>

#include "decoder/tls_fixture_support.hpp"
#include "decoder/tls/x509_summary.hpp"

using namespace decoder;
using namespace fixture;

namespace {

const std::string kCaDn = "CN=Contoso Test Root CA,O=Contoso,C=US";

Micros now_micros() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

// Seconds since the epoch as OpenSSL computes them (ASN1_TIME_diff), independent of timegm.
Micros openssl_micros(const ASN1_TIME* t) {
    ASN1_TIME* epoch = ASN1_TIME_set(nullptr, 0);
    int days = 0, secs = 0;
    REQUIRE(ASN1_TIME_diff(&days, &secs, epoch, t) == 1);
    ASN1_TIME_free(epoch);
    return (static_cast<Micros>(days) * 86400 + secs) * 1'000'000;
}

// The ASN.1 string type of each subject attribute, e.g. V_ASN1_PRINTABLESTRING.
std::vector<int> subject_string_types(const X509* x) {
    std::vector<int> types;
    const X509_NAME* name = X509_get_subject_name(x);
    for (int i = 0; i < X509_NAME_entry_count(name); ++i)
        types.push_back(ASN1_STRING_type(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i))));
    return types;
}

Certificate summarize_ok(const X509* x, Side side = Side::Server, int index = 0) {
    std::string error;
    auto cert = summarize_certificate(der_of(x), side, index, &error);
    INFO(error);
    REQUIRE(cert.has_value());
    CHECK(error.empty());
    return *cert;
}

const Micros kSlack = 120'000'000;  // certificates were made a moment ago

}  // namespace

TEST_CASE("[x509] RSA leaf with PrintableString subject and DNS, IPv4 and IPv6 SANs", "[x509]") {
    const X509* x = pki().lync.cert.get();
    REQUIRE(subject_string_types(x) ==
            std::vector<int>{V_ASN1_PRINTABLESTRING, V_ASN1_PRINTABLESTRING, V_ASN1_PRINTABLESTRING});
    const Certificate c = summarize_ok(x, Side::Server, 0);
    CHECK(c.side == Side::Server);
    CHECK(c.index == 0);
    CHECK(c.subject == "CN=lync01.contoso.com,O=Contoso,C=US");
    CHECK(c.subject_cn == "lync01.contoso.com");
    CHECK(c.issuer == kCaDn);
    CHECK(c.san == std::vector<std::string>{"lync01.contoso.com", "sip.contoso.com"});
    CHECK(c.san_ip == std::vector<std::string>{"10.0.0.5", "2001:db8::5"});
    CHECK(c.serial == "1A2B3C4D5E6F");
    CHECK(c.sha256 == sha256_fingerprint(x));
    CHECK(c.sha256.size() == 32 * 3 - 1);
    CHECK(c.key == "RSA-2048");
    CHECK(EVP_PKEY_get_bits(X509_get0_pubkey(x)) == 2048);
    CHECK(c.signature_algorithm == "ecdsa-with-SHA256");  // the fixture's CA key is EC, signing with EVP_sha256
    REQUIRE(c.eku);
    CHECK(*c.eku == std::vector<std::string>{"serverAuth", "clientAuth"});
    CHECK_FALSE(c.self_signed);
    CHECK_FALSE(c.wildcard_cn);
    const ByteVec der = der_of(x);
    CHECK(c.der == std::string(reinterpret_cast<const char*>(der.data()), der.size()));
    CHECK(c.not_before == openssl_micros(X509_get0_notBefore(x)));
    CHECK(c.not_after == openssl_micros(X509_get0_notAfter(x)));
    CHECK(std::abs(c.not_before - (now_micros() - 3600'000'000LL)) < kSlack);
    CHECK(std::abs(c.not_after - (now_micros() + 365LL * 86400 * 1'000'000)) < kSlack);
}

TEST_CASE("[x509] EC leaf with UTF8String subject, non-ASCII text and a wildcard CN", "[x509]") {
    const X509* x = pki().wildcard.cert.get();
    REQUIRE(subject_string_types(x) == std::vector<int>{V_ASN1_PRINTABLESTRING, V_ASN1_UTF8STRING,
                                                        V_ASN1_UTF8STRING, V_ASN1_UTF8STRING});
    const Certificate c = summarize_ok(x, Side::Client, 0);
    CHECK(c.side == Side::Client);
    CHECK(c.subject == "CN=*.contoso.com,OU=Exchange UM Zürich,O=Contoso,C=US");
    CHECK(c.subject_cn == "*.contoso.com");
    CHECK(c.wildcard_cn);
    CHECK(c.san == std::vector<std::string>{"*.contoso.com", "exch01.contoso.com"});
    CHECK(c.san_ip.empty());
    CHECK(c.key == "EC-P-256");
    CHECK(c.serial == "0BADF00D");
    CHECK(c.sha256 == sha256_fingerprint(x));
    CHECK_FALSE(c.self_signed);
}

TEST_CASE("[x509] self-signed CA and an expired leaf", "[x509]") {
    const Certificate ca = summarize_ok(pki().ca.cert.get(), Side::Client, 1);
    CHECK(ca.index == 1);
    CHECK(ca.subject == kCaDn);
    CHECK(ca.issuer == kCaDn);
    CHECK(ca.self_signed);
    CHECK(X509_self_signed(pki().ca.cert.get(), 1) == 1);
    CHECK(ca.san.empty());
    CHECK(ca.serial == "5A17C0FFEE");

    const Certificate old = summarize_ok(pki().expired.cert.get());
    CHECK(old.subject_cn == "expired.contoso.com");
    CHECK(old.not_after < now_micros());
    CHECK(std::abs(old.not_after - (now_micros() - 365LL * 86400 * 1'000'000)) < kSlack);
    CHECK(old.not_before == openssl_micros(X509_get0_notBefore(pki().expired.cert.get())));
    CHECK_FALSE(old.self_signed);
}

TEST_CASE("[x509] issuer name equal to subject is not enough to be self-signed", "[x509]") {
    CertSpec spec;
    spec.subject = {{"C", "US"}, {"O", "Contoso"}, {"CN", "fake-root"}, {"CN", "lync02.contoso.com"}};
    Issued fake = make_certificate(spec, nullptr);
    // Re-sign with somebody else's key: names still match, the signature no longer does.
    REQUIRE(X509_sign(fake.cert.get(), pki().wildcard.key.get(), EVP_sha256()) > 0);
    const Certificate c = summarize_ok(fake.cert.get());
    CHECK(c.subject == c.issuer);
    CHECK_FALSE(c.self_signed);
    CHECK(c.subject_cn == "lync02.contoso.com");  // the last CN counts
    CHECK(c.subject == "CN=lync02.contoso.com,CN=fake-root,O=Contoso,C=US");
    CHECK(c.san.empty());
}

TEST_CASE("[x509] broken certificates give an error, not a summary", "[x509]") {
    const ByteVec der = der_of(pki().lync.cert.get());
    auto [name, input, expected] = GENERATE_REF(table<std::string, ByteVec, std::string>({
        {"empty", ByteVec{}, "does not parse"},
        {"garbage", bytes_of("not a certificate at all"), "does not parse"},
        {"truncated", ByteVec(der.begin(), der.end() - 10), "does not parse"},
        {"trailing bytes", cat({der, raw({0, 0})}), "2 bytes after the certificate"},
    }));
    CAPTURE(name);
    ERR_clear_error();
    std::string error;
    CHECK_FALSE(summarize_certificate(input, Side::Server, 0, &error).has_value());
    CHECK_THAT(error, Catch::Contains(expected));
    CHECK(ERR_peek_error() == 0);  // the error queue is drained
    CHECK_FALSE(summarize_certificate(input, Side::Server, 0, nullptr).has_value());
}

TEST_CASE("[x509] distinguished names from a CertificateRequest", "[x509]") {
    unsigned char* buf = nullptr;
    const int n = i2d_X509_NAME(X509_get_subject_name(pki().wildcard.cert.get()), &buf);
    REQUIRE(n > 0);
    const ByteVec dn(reinterpret_cast<std::byte*>(buf), reinterpret_cast<std::byte*>(buf) + n);
    OPENSSL_free(buf);
    CHECK(distinguished_name_text(dn) == "CN=*.contoso.com,OU=Exchange UM Zürich,O=Contoso,C=US");
    CHECK_FALSE(distinguished_name_text(ByteVec(dn.begin(), dn.end() - 1)).has_value());
    CHECK_FALSE(distinguished_name_text(bytes_of("garbage")).has_value());
}
