// `siptap demo`: the narrated UM-to-Lync handshake through the relay, one run per UM
// certificate; each must show the expected steps and findings, end in a few seconds, and exit 0
// when it demonstrated what it set out to show (the error findings of a bad certificate are the
// point of its run, not a failure).
#include <catch2/catch.hpp>

#include <chrono>

#include "capture_run_support.hpp"

namespace {

struct Timed {
    test::RunResult r;
    double seconds = 0;
};

Timed demo(const std::vector<std::string>& extra) {
    std::vector<std::string> args{"demo"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto start = std::chrono::steady_clock::now();
    Timed t{test::run_siptap(args, 30), 0};
    t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return t;
}

using Catch::Contains;

}  // namespace

TEST_CASE("[demo] good certificate: Lync answers 200 OK, no error findings, exit 0", "[demo]") {
    const auto t = demo({"--um-cert", "good"});
    INFO(t.r.out);
    CHECK(t.r.exit_code == 0);
    CHECK(t.seconds < 10);
    CHECK_THAT(t.r.out, Contains("Exchange UM (127.0.0.1:") && Contains("opens a TCP connection to Lync through siptap"));
    CHECK_THAT(t.r.out, Contains("ClientHello: UM offers") && Contains("asks for lync01.contoso.com"));
    CHECK_THAT(t.r.out, Contains("Lync presents its certificate CN=lync01.contoso.com"));
    CHECK_THAT(t.r.out, Contains("Lync asks UM for a certificate") && Contains("Contoso Root CA"));
    CHECK_THAT(t.r.out, Contains("UM presents CN=um01.contoso.com"));
    CHECK_THAT(t.r.out, Contains("Lync compares only this CN with the FQDN it expects for UM (um01.contoso.com): they match"));
    CHECK_THAT(t.r.out, Contains("UM sends OPTIONS"));
    CHECK_THAT(t.r.out, Contains("Lync answers 200 OK"));
    CHECK_THAT(t.r.out, Contains("Result: Lync answered 200 OK; no error findings"));
    CHECK_THAT(t.r.out, Contains("Demonstrated: Lync answered 200 OK with no error finding"));
    CHECK_THAT(t.r.out, !Contains("Finding [error]"));
    CHECK_THAT(t.r.out, !Contains("the incident"));
}

TEST_CASE("[demo] wildcard certificate: Lync closes without a word after OPTIONS, demonstrated, exit 0", "[demo]") {
    const auto t = demo({"--um-cert", "wildcard"});
    INFO(t.r.out);
    CHECK(t.r.exit_code == 0);
    CHECK(t.seconds < 10);
    CHECK_THAT(t.r.out, Contains("UM presents CN=*.contoso.com (SAN *.contoso.com, um01.contoso.com)"));
    CHECK_THAT(t.r.out, Contains("Lync compares only this CN with the FQDN it expects for UM (um01.contoso.com)"));
    CHECK_THAT(t.r.out, Contains("UM sends OPTIONS"));
    CHECK_THAT(t.r.out, Contains("Lync closes the connection without a word") && Contains("after the OPTIONS 1") &&
                            Contains("the incident"));
    CHECK_THAT(t.r.out, Contains("wildcard-subject-cn") && Contains("closed-after-request"));
    CHECK_THAT(t.r.out, Contains("Demonstrated: Lync closed the connection without a word and the finding "
                                 "wildcard-subject-cn"));
    CHECK_THAT(t.r.out, !Contains("Lync answers 200 OK"));
}

TEST_CASE("[demo] SAN-only certificate: the CN is not the FQDN, Lync closes", "[demo]") {
    const auto t = demo({"--um-cert", "san-only"});
    INFO(t.r.out);
    CHECK(t.r.exit_code == 0);
    CHECK(t.seconds < 10);
    CHECK_THAT(t.r.out, Contains("UM presents CN=Exchange UM (SAN um01.contoso.com)"));
    CHECK_THAT(t.r.out, Contains("cn-not-peer-fqdn") || Contains("san-ignored-by-lync"));
    CHECK_THAT(t.r.out, Contains("Lync closes the connection without a word"));
}

TEST_CASE("[demo] expired certificate: Lync refuses it with a certificate_expired alert", "[demo]") {
    const auto t = demo({"--um-cert", "expired"});
    INFO(t.r.out);
    CHECK(t.r.exit_code == 0);
    CHECK(t.seconds < 10);
    CHECK_THAT(t.r.out, Contains("cert-expired"));
    CHECK_THAT(t.r.out, !Contains("untrusted-issuer"));  // the demo's CA is trusted; only the date is wrong
    // A refused TLS 1.3 handshake is not the incident's hang-up after a request.
    CHECK_THAT(t.r.out, !Contains("closed-after-request"));
    CHECK_THAT(t.r.out, Contains("Lync sends a fatal TLS alert: certificate_expired"));
    CHECK_THAT(t.r.out, Contains("Demonstrated: Lync refused the handshake with the certificate_expired alert"));
    CHECK_THAT(t.r.out, !Contains("Lync answers 200 OK"));
}

TEST_CASE("[demo] untrusted certificate: Lync refuses it with an unknown_ca alert", "[demo]") {
    const auto t = demo({"--um-cert", "untrusted"});
    INFO(t.r.out);
    CHECK(t.r.exit_code == 0);
    CHECK(t.seconds < 10);
    CHECK_THAT(t.r.out, Contains("Fabrikam Root CA"));
    CHECK_THAT(t.r.out, Contains("Lync sends a fatal TLS alert: unknown_ca"));
    CHECK_THAT(t.r.out, Contains("Demonstrated: Lync refused the handshake with the unknown_ca alert"));
    CHECK_THAT(t.r.out, !Contains("closed-after-request"));
    CHECK_THAT(t.r.out, !Contains("Lync answers 200 OK"));
}

TEST_CASE("[demo] no option: good, then wildcard, then the difference", "[demo]") {
    const auto t = demo({});
    INFO(t.r.out);
    CHECK(t.r.exit_code == 0);  // both runs showed what they set out to show
    CHECK(t.seconds < 15);
    const auto good = t.r.out.find("--um-cert good");
    const auto wild = t.r.out.find("--um-cert wildcard");
    const auto diff = t.r.out.find("=== The difference ===");
    REQUIRE(good != std::string::npos);
    REQUIRE(wild != std::string::npos);
    REQUIRE(diff != std::string::npos);
    CHECK(good < wild);
    CHECK(wild < diff);
    const std::string tail = t.r.out.substr(diff);
    CHECK_THAT(tail, Contains("good:     UM presents CN=um01.contoso.com") && Contains("-> Lync answered 200 OK"));
    CHECK_THAT(tail, Contains("wildcard: UM presents CN=*.contoso.com") &&
                         Contains("-> Lync closed the connection without a word"));
}

TEST_CASE("[demo] an unknown --um-cert is a usage error", "[demo]") {
    const auto t = demo({"--um-cert", "bogus"});
    CHECK(t.r.exit_code == 2);
}
