// `siptap proxy --explain-mirroring` against the code it explains: every row of the ClientHello
// table the relay applies, every certificate extension the forge copies (checked on a real
// forgery, so the table is what the forge does), the resumption limits, and what is not mirrored.
// Also the empty CRL of --crl-listen, made again once it is an hour old.
#include <catch2/catch.hpp>

#include <fstream>
#include <memory>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <set>
#include <vector>

#include "decoder/base/openssl_ptr.hpp"
#include "peer_support.hpp"
#include "proxy/cert_forge.hpp"
#include "proxy/client_hello_mirror.hpp"
#include "proxy/empty_crl.hpp"
#include "proxy/resumption_cache.hpp"

using namespace proxy_test;

namespace {

CommandRun siptap(const std::string& args, const std::string& redirect = "2>/dev/null") {
    return command_run("timeout 10 " + std::string(SIPTAP_BINARY) + " " + args + " " + redirect + " < /dev/null");
}

proxy::X509Ptr read_pem(const std::string& path) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
    return proxy::X509Ptr(f ? PEM_read_X509(f.get(), nullptr, nullptr, nullptr) : nullptr);
}

// An AD CS-like server certificate with more extensions than the forge copies.
std::string rich_original(const TempDir& dir) {
    std::ofstream(dir / "rich.ext") << "basicConstraints=critical,CA:FALSE\n"
                                       "keyUsage=critical,digitalSignature,keyEncipherment\n"
                                       "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:lync01.contoso.com\n"
                                       "crlDistributionPoints=URI:http://pki.contoso.com/ca.crl\n"
                                       "authorityInfoAccess=caIssuers;URI:http://pki.contoso.com/ca.crt\n"
                                       "certificatePolicies=1.2.3.4\nnsComment=not copied\n";
    const std::string make = "cd " + dir.path.string() +
                             " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout rich.key"
                             " -out rich.csr -subj /CN=lync01.contoso.com && openssl x509 -req -in rich.csr -CA ca.pem"
                             " -CAkey ca.key -CAcreateserial -days 30 -extfile rich.ext -out rich.pem";
    REQUIRE(std::system(("(" + make + ") >/dev/null 2>&1").c_str()) == 0);
    return dir / "rich.pem";
}

std::set<int> extension_nids(X509* x) {
    std::set<int> out;
    for (int i = 0; i < X509_get_ext_count(x); ++i) out.insert(OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(x, i))));
    return out;
}

std::string extension_text(X509* x, int nid) {
    const int at = X509_get_ext_by_NID(x, nid, -1);
    if (at < 0) return {};
    BIO* bio = BIO_new(BIO_s_mem());
    X509V3_EXT_print(bio, X509_get_ext(x, at), 0, 0);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return out;
}

}  // namespace

TEST_CASE("[proxy] --explain-mirroring names what the relay mirrors and what it cannot", "[proxy][explain]") {
    const CommandRun r = siptap("proxy --explain-mirroring");
    INFO(r.output);
    REQUIRE(r.status == 0);
    // Every row of the table offer_like() applies, with what it offers.
    REQUIRE(proxy::mirrored_hello_fields().size() >= 6);
    for (const auto& field : proxy::mirrored_hello_fields()) {
        CAPTURE(field.name);
        CHECK(r.output.find(std::string("  - ") + field.name + ": " + field.how) != std::string::npos);
    }
    for (const int nid : proxy::kCopiedExtensions) CHECK(r.output.find(OBJ_nid2ln(nid)) != std::string::npos);
    CHECK(r.output.find("at most " + std::to_string(proxy::kResumptionCapacity) + " sessions for " +
                        std::to_string(proxy::kResumptionLifetime.count()) + " s") != std::string::npos);
    for (const char* fact : {"SNI", "versions", "cipher suites", "signature algorithms", "groups", "CA names",
                             "CertificateRequest", "alert", "session id", "ticket", "signature digest", "validity",
                             "key type and size", "PSK", "renegotiation", "this OpenSSL lacks", "GREASE",
                             "order of ClientHello extensions", "AIA", "CRL", "--crl-listen"}) {
        CAPTURE(fact);
        CHECK(r.output.find(fact) != std::string::npos);
    }
    // It neither needs --listen/--upstream nor starts a relay.
    const CommandRun both = siptap("proxy --explain-mirroring", "2>&1");
    CHECK(both.output == r.output);
    CHECK(both.output.find("listening") == std::string::npos);
    const CommandRun help = siptap("proxy --help");
    CHECK(help.output.find("--explain-mirroring") != std::string::npos);
    CHECK(help.output.find("--crl-listen") != std::string::npos);
}

TEST_CASE("[proxy] the ClientHello table offers the upstream what the client sent", "[proxy][explain]") {
    decoder::OpenSslPtr<SSL_CTX, SSL_CTX_free> ctx(SSL_CTX_new(TLS_client_method()));
    decoder::OpenSslPtr<SSL, SSL_free> ssl(SSL_new(ctx.get()));
    SSL_set_security_level(ssl.get(), 0);
    proxy::MirroredHello hello;
    hello.sni = "lync01.contoso.com";
    hello.min_version = TLS1_VERSION;
    hello.max_version = TLS1_1_VERSION;
    hello.ciphers = {"AES128-SHA", "ECDHE-RSA-AES256-SHA"};
    hello.sigalgs = {"RSA+SHA1"};
    hello.groups = {"secp384r1"};
    hello.fallback_scsv = true;
    const auto notes = proxy::offer_like(ssl.get(), hello);
    CHECK(notes == std::vector<std::string>{});
    CHECK(std::string(SSL_get_servername(ssl.get(), TLSEXT_NAMETYPE_host_name)) == hello.sni);
    CHECK(SSL_get_min_proto_version(ssl.get()) == TLS1_VERSION);
    CHECK(SSL_get_max_proto_version(ssl.get()) == TLS1_1_VERSION);
    std::vector<std::string> before_tls13;  // OpenSSL keeps its TLS 1.3 suites in the list; unused here
    STACK_OF(SSL_CIPHER)* ciphers = SSL_get_ciphers(ssl.get());
    for (int i = 0; ciphers && i < sk_SSL_CIPHER_num(ciphers); ++i)
        if (const std::string name = SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, i)); name.rfind("TLS_", 0) != 0)
            before_tls13.push_back(name);
    CHECK(before_tls13 == hello.ciphers);
    CHECK((SSL_get_mode(ssl.get()) & SSL_MODE_SEND_FALLBACK_SCSV) != 0);
}

TEST_CASE("[proxy] a forgery carries exactly the copied extensions, and a CRL point only with --crl-listen",
          "[proxy][explain][crl]") {
    TempDir dir;
    make_pki(dir);
    const auto original = read_pem(rich_original(dir));
    REQUIRE(original);
    REQUIRE(extension_nids(original.get()).count(NID_certificate_policies) == 1);
    const proxy::IdentityFiles ca{dir / "forgeca.pem", dir / "forgeca.key", ""};
    std::set<int> expected(std::begin(proxy::kCopiedExtensions), std::end(proxy::kCopiedExtensions));
    expected.insert({NID_subject_key_identifier, NID_authority_key_identifier});
    std::string error;

    proxy::CertForge plain(ca, dir / "ca.pem");
    const auto forged = plain.forge(original.get(), nullptr, &error);
    INFO(error);
    REQUIRE(forged);
    CHECK(extension_nids(forged->cert.get()) == expected);
    for (const int nid : proxy::kCopiedExtensions)
        CHECK(extension_text(forged->cert.get(), nid) == extension_text(original.get(), nid));

    // The forge CA signs what chains to --trust; the throwaway CA the rest: each names its own CRL.
    for (const std::string trust : {"ca.pem", "forgeca.pem"}) {
        CAPTURE(trust);
        proxy::CertForge with_crl(ca, dir / trust);
        with_crl.set_crl_urls("http://127.0.0.1:1/forge.crl", "http://127.0.0.1:1/throwaway.crl");
        std::string untrusted;
        const auto copy = with_crl.forge(original.get(), nullptr, &error, &untrusted);
        REQUIRE(copy);
        auto with_cdp = expected;
        with_cdp.insert(NID_crl_distribution_points);
        CHECK(extension_nids(copy->cert.get()) == with_cdp);
        const std::string cdp = extension_text(copy->cert.get(), NID_crl_distribution_points);
        CHECK(cdp.find(untrusted.empty() ? "URI:http://127.0.0.1:1/forge.crl" : "URI:http://127.0.0.1:1/throwaway.crl") !=
              std::string::npos);
        CHECK(untrusted.empty() == (trust == "ca.pem"));
        // An original without a CRL point keeps none.
        const auto lync = read_pem(dir / "lync.pem");
        const auto bare = with_crl.forge(lync.get(), nullptr, &error);
        REQUIRE(bare);
        CHECK(X509_get_ext_by_NID(bare->cert.get(), NID_crl_distribution_points, -1) < 0);
    }
}

TEST_CASE("[proxy] the empty CRL is current, signed by its CA, and made again before it runs out", "[proxy][crl]") {
    TempDir dir;
    make_pki(dir);
    const proxy::Identity ca = proxy::load_identity({dir / "forgeca.pem", dir / "forgeca.key", ""});
    proxy::EmptyCrl crl(ca);
    const auto t0 = std::chrono::system_clock::now();
    const std::string first = crl.der(t0);
    auto parse = [](const std::string& der) {
        const auto* p = reinterpret_cast<const unsigned char*>(der.data());
        return decoder::OpenSslPtr<X509_CRL, X509_CRL_free>(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
    };
    const auto parsed = parse(first);
    REQUIRE(parsed);
    CHECK(X509_CRL_verify(parsed.get(), X509_get0_pubkey(ca.cert.get())) == 1);
    CHECK(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(parsed.get())) <= 0);  // none (OpenSSL: no list at all)
    const std::time_t now = std::chrono::system_clock::to_time_t(t0);
    CHECK(X509_cmp_time(X509_CRL_get0_lastUpdate(parsed.get()), const_cast<std::time_t*>(&now)) < 0);
    std::time_t almost_next = now + 23 * 3600;
    CHECK(X509_cmp_time(X509_CRL_get0_nextUpdate(parsed.get()), &almost_next) > 0);
    CHECK(crl.der(t0 + std::chrono::minutes(59)) == first);  // cached within the hour
    const std::string later = crl.der(t0 + std::chrono::minutes(61));
    REQUIRE(later != first);
    const auto renewed = parse(later);
    REQUIRE(renewed);
    CHECK(ASN1_TIME_compare(X509_CRL_get0_nextUpdate(renewed.get()), X509_CRL_get0_nextUpdate(parsed.get())) > 0);
    // A CA that may not sign CRLs is refused.
    REQUIRE(std::system(("cd " + dir.path.string() +
                         " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout nocrl.key"
                         " -out nocrl.pem -days 30 -subj /CN=NoCrlSign -addext keyUsage=critical,keyCertSign"
                         " >/dev/null 2>&1").c_str()) == 0);
    const proxy::Identity no_crl_sign = proxy::load_identity({dir / "nocrl.pem", dir / "nocrl.key", ""});
    CHECK_THROWS_WITH(proxy::EmptyCrl(no_crl_sign), Catch::Contains("cRLSign"));
}
