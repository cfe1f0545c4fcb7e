// Each TLS sample capture (recorded from real peers, see pcaps/README.md) must give exactly
// the certificates, teardown and findings that describe what happened in it.
#include <catch2/catch.hpp>

#include <algorithm>

#include "capture_run_support.hpp"
#include "decoder/tls/tls_keylog.hpp"

using namespace decoder;

namespace {

std::vector<std::string> sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
}

const ConnClose& only_close(const std::vector<Event>& events) {
    const auto closes = test::payloads<ConnClose>(events);
    REQUIRE(closes.size() == 1);
    return *closes.front();
}

std::vector<std::string> leaf_cns(const std::vector<Event>& events, Side side) {
    std::vector<std::string> cns;
    for (const auto* c : test::payloads<Certificate>(events))
        if (c->side == side) cns.push_back(std::to_string(c->index) + ":" + c->subject_cn);
    return cns;
}

}  // namespace

TEST_CASE("[diagnosis] the wildcard incident: Lync hangs up after OPTIONS", "[diagnosis]") {
    const auto events = test::read_events({test::pcap("tls-wildcard-incident.pcapng")});
    CHECK(leaf_cns(events, Side::Server) ==
          std::vector<std::string>{"0:lync01.contoso.com", "1:Contoso Issuing CA 1"});
    CHECK(leaf_cns(events, Side::Client) ==
          std::vector<std::string>{"0:*.contoso.com", "1:Contoso Issuing CA 1", "2:Contoso Root CA"});
    const auto certs = test::payloads<Certificate>(events);
    const auto client_leaf = std::find_if(certs.begin(), certs.end(),
                                          [](auto* c) { return c->side == Side::Client && c->index == 0; });
    REQUIRE(client_leaf != certs.end());
    CHECK((*client_leaf)->wildcard_cn);
    CHECK((*client_leaf)->san == std::vector<std::string>{"*.contoso.com", "exch01.contoso.com"});

    const auto& close = only_close(events);
    REQUIRE(close.by);
    CHECK(close.by->to_string() == "127.0.0.3:5061");
    CHECK(close.side == Side::Server);
    CHECK(close.how == CloseHow::Fin);
    CHECK(close.handshake_complete);
    CHECK(close.client_records == 1);
    CHECK(close.server_records == 0);
    CHECK(close.after_from == Side::Client);
    CHECK(sorted(test::finding_codes(events)) ==
          std::vector<std::string>{"closed-after-request", "san-ignored-by-lync", "wildcard-subject-cn"});

    // The CertificateRequest's CA names are names, not certificates presented.
    for (const auto* m : test::payloads<TlsMessage>(events))
        if (m->type == "certificate_request")
            CHECK(m->ca_names == std::vector<std::string>{"CN=Contoso Root CA,O=Contoso,C=US"});
}

TEST_CASE("[diagnosis] the incident with the expected FQDN named", "[diagnosis]") {
    const auto events = test::read_events({test::pcap("tls-wildcard-incident.pcapng")},
                                           DiagnosisOptions{"exch01.contoso.com", ""});
    const auto codes = sorted(test::finding_codes(events));
    CHECK(codes == std::vector<std::string>{"closed-after-request", "san-ignored-by-lync", "wildcard-subject-cn"});
    for (const auto* f : test::payloads<Finding>(events))
        if (f->code == "san-ignored-by-lync") CHECK_THAT(f->message, Catch::Contains("only through its Subject Alternative Names"));
}

TEST_CASE("[diagnosis] the incident under TLS 1.3: encrypted certificates, same hang-up", "[diagnosis]") {
    const auto events = test::read_events({test::pcap("tls13-wildcard-incident.pcapng")});
    CHECK(test::payloads<Certificate>(events).empty());  // never guessed from ciphertext
    const auto& close = only_close(events);
    CHECK(close.side == Side::Server);
    CHECK(close.how == CloseHow::Fin);
    CHECK(close.after_from == Side::Client);
    CHECK(test::finding_codes(events) == std::vector<std::string>{"closed-after-request"});
}

TEST_CASE("[diagnosis] a good certificate: no findings, the client closes", "[diagnosis]") {
    const auto events = test::read_events({test::pcap("tls-good.pcapng")});
    CHECK(test::finding_codes(events).empty());
    CHECK(leaf_cns(events, Side::Client).front() == "0:exch01.contoso.com");
    const auto& close = only_close(events);
    CHECK(close.side == Side::Client);
    CHECK(close.how == CloseHow::Alert);  // its encrypted close_notify, before its FIN
    CHECK(close.alert == "encrypted alert (probably close_notify)");
    CHECK(close.after == "server application data record (623 bytes)");
    CHECK(close.server_records == 1);
}

TEST_CASE("[diagnosis] healthy sessions without keys: the client's encrypted alert ends them, not the server's FIN",
          "[diagnosis]") {
    // name, the answer's record length (the last record before the alert)
    const auto [name, after] = GENERATE(table<std::string, std::string>({
        {"tls13-good.pcapng", "server application data record"},
        {"tls13-good-server-fin.pcapng", "server application data record"},
        {"tls12-good-server-fin.pcapng", "server application data record (623 bytes)"},
        {"tls12-chacha-good.pcapng", "server application data record (615 bytes)"},
        {"tls12-cbc-good.pcapng", "server application data record (656 bytes)"},
    }));
    CAPTURE(name);
    const auto events = test::read_events({test::pcap(name)});
    CHECK(test::finding_codes(events).empty());
    const auto& close = only_close(events);
    REQUIRE(close.by);
    CHECK(close.by->to_string().rfind("127.0.0.2:", 0) == 0);
    CHECK(close.side == Side::Client);
    CHECK(close.how == CloseHow::Alert);
    CHECK(close.alert == "encrypted alert (probably close_notify)");
    REQUIRE(close.after);
    CHECK_THAT(*close.after, Catch::StartsWith(after));
    CHECK(close.after_from == Side::Server);
    CHECK(close.unanswered.empty());
}

TEST_CASE("[diagnosis] the client's CN is not the FQDN Lync expects", "[diagnosis]") {
    const auto events = test::read_events({test::pcap("tls-good.pcapng")}, DiagnosisOptions{"um02.contoso.com", ""});
    CHECK(test::finding_codes(events) == std::vector<std::string>{"cn-not-peer-fqdn"});
}

TEST_CASE("[diagnosis] handshake failures name the alert and the certificate problem", "[diagnosis]") {
    using Row = std::tuple<std::string, std::string, std::vector<std::string>>;
    auto [file, alert, codes] = GENERATE(table<std::string, std::string, std::vector<std::string>>({
        // Its chain (Fabrikam) answers none of the CertificateRequest's CA names (Contoso Root CA).
        Row{"tls-untrusted-ca.pcapng", "unknown_ca", {"handshake-incomplete", "issuer-not-in-ca-list", "tls-alert"}},
        Row{"tls-expired-cert.pcapng", "certificate_expired", {"cert-expired", "handshake-incomplete", "tls-alert"}},
        Row{"tls-no-client-cert.pcapng", "handshake_failure",
            {"handshake-incomplete", "no-client-certificate", "tls-alert"}},
    }));
    CAPTURE(file);
    const auto events = test::read_events({test::pcap(file)});
    const auto alerts = test::payloads<TlsAlert>(events);
    REQUIRE(alerts.size() == 1);
    CHECK(alerts.front()->level == "fatal");
    CHECK(alerts.front()->description == alert);
    const auto& close = only_close(events);
    CHECK(close.side == Side::Server);
    CHECK(close.how == CloseHow::Alert);
    CHECK(close.alert == alert);
    CHECK_FALSE(close.handshake_complete);
    CHECK(sorted(test::finding_codes(events)) == codes);
}

TEST_CASE("[diagnosis] --ca-file: a chain from another CA is untrusted", "[diagnosis]") {
    const auto roots = test::pcap("tls-pki/contoso-root-ca.pem");
    auto events = test::read_events({test::pcap("tls-untrusted-ca.pcapng")}, DiagnosisOptions{"", roots});
    auto codes = test::finding_codes(events);
    CHECK(std::count(codes.begin(), codes.end(), "untrusted-issuer") == 1);
    events = test::read_events({test::pcap("tls-good.pcapng")}, DiagnosisOptions{"", roots});
    CHECK(test::finding_codes(events).empty());
    // Expired but from the trusted CA: that is cert-expired's finding, not a trust problem.
    events = test::read_events({test::pcap("tls-expired-cert.pcapng")}, DiagnosisOptions{"", roots});
    codes = test::finding_codes(events);
    CHECK(std::count(codes.begin(), codes.end(), "cert-expired") == 1);
    CHECK(std::count(codes.begin(), codes.end(), "untrusted-issuer") == 0);
}

TEST_CASE("[diagnosis] a reset after an unanswered request", "[diagnosis]") {
    const auto events = test::read_events({test::pcap("tls-reset-mid-dialog.pcapng")});
    const auto& close = only_close(events);
    CHECK(close.how == CloseHow::Rst);
    CHECK(close.side == Side::Server);
    CHECK(close.client_records == 2);
    CHECK(sorted(test::finding_codes(events)) == std::vector<std::string>{"closed-after-request", "reset-by-peer"});
}

TEST_CASE("[diagnosis] ms-diagnostics in a plaintext 504", "[diagnosis]") {
    const auto events = test::read_events({test::pcap("sip-options-504-ms-diagnostics.pcap")});
    CHECK(sorted(test::finding_codes(events)) == std::vector<std::string>{"ms-diagnostics", "sip-error-response"});
    for (const auto* f : test::payloads<Finding>(events)) {
        if (f->code != "ms-diagnostics") continue;
        CHECK(f->severity == Severity::Error);
        CHECK_THAT(f->message, Catch::Contains("CERT_E_CN_NO_MATCH"));
        CHECK(f->evidence.size() == 1);
    }
}

namespace {

// A capture whose server refused the ClientHello: the codes it raises, and `code`'s message
// naming both sides and containing `says`.
void check_refusal(const char* capture, const std::string& code, const std::string& says) {
    const auto events = test::read_events({test::pcap(capture)});
    CHECK(sorted(test::finding_codes(events)) == sorted({"handshake-incomplete", "tls-alert", code}));
    for (const auto* f : test::payloads<Finding>(events)) {
        if (f->code != code) continue;
        CHECK(f->severity == Severity::Error);
        CHECK_THAT(f->message, Catch::Contains("127.0.0.3:5061 (server) refused the ClientHello of 127.0.0.2:"));
        CHECK_THAT(f->message, Catch::Contains(says));
        CHECK(f->evidence.size() == 2);  // the ClientHello and the refusal
    }
}

}  // namespace

TEST_CASE("[diagnosis] Windows peers: a TLS 1.0-only client against a server requiring TLS 1.2", "[diagnosis]") {
    check_refusal("tls10-client-tls12-server.pcapng", "tls-version-mismatch",
                  "highest TLS version is TLS 1.0, with the fatal alert protocol_version");
    check_refusal("tls10-client-tls12-server.pcapng", "tls-version-mismatch", "Enable TLS 1.2 on the client");
}

TEST_CASE("[diagnosis] Windows peers: no cipher suite in common", "[diagnosis]") {
    check_refusal("tls12-no-shared-cipher.pcapng", "no-shared-cipher",
                  "The client offered 2 suites: TLS_RSA_WITH_AES_128_CBC_SHA");
    // Neither code on the captures where the server took the ClientHello.
    for (const char* good : {"tls-good.pcapng", "tls13-good.pcapng", "tls-untrusted-ca.pcapng",
                             "tls-no-client-cert.pcapng"}) {
        CAPTURE(good);
        for (const auto& code : test::finding_codes(test::read_events({test::pcap(good)}))) {
            CHECK(code != "tls-version-mismatch");
            CHECK(code != "no-shared-cipher");
        }
    }
}

namespace {

// One finding a certificate capture must raise: its code, severity and words of its message.
struct Expected {
    std::string code;
    Severity severity;
    std::vector<std::string> says;
};

}  // namespace

TEST_CASE("[diagnosis] Windows peers: the certificates and trusted-issuer lists they refuse", "[diagnosis]") {
    const auto [file, codes, expected] = GENERATE(table<std::string, std::vector<std::string>, Expected>({
        {"tls12-ca-list-too-long.pcapng", {"ca-list-too-long"},
         {"ca-list-too-long", Severity::Warning,
          {"The CertificateRequest of 127.0.0.3:5061 (server) names 301 trusted CAs in ", "KB 2464556",
           "KB 2880390", "a Windows client such as 127.0.0.2:",
           "Its issuer CN=Contoso Root CA,O=Contoso,C=US is name 301 of 301, and only the first ",
           "it lies beyond the cut, so for a Windows client it is effectively not listed"}}},
        {"tls12-ca-list-too-long-no-cert.pcapng",
         {"ca-list-too-long", "handshake-incomplete", "no-client-certificate", "tls-alert"},
         {"ca-list-too-long", Severity::Error, {"names 301 trusted CAs", "Here the client sent no certificate"}}},
        {"tls12-client-sha1-rsa1024.pcapng", {"handshake-incomplete", "tls-alert", "weak-key", "weak-signature"},
         {"weak-signature", Severity::Error,
          {"The client 127.0.0.2:", "CN=exch01.contoso.com,O=Contoso,C=US (its leaf)",
           "signed with sha1WithRSAEncryption (SHA-1)",
           "127.0.0.3:5061 (server) then refused it with the fatal alert bad_certificate"}}},
        {"tls12-client-sha1-rsa1024.pcapng", {"handshake-incomplete", "tls-alert", "weak-key", "weak-signature"},
         {"weak-key", Severity::Warning, {"The client 127.0.0.2:", "with an RSA key of 1024 bits"}}},
        {"tls12-client-pss-signature.pcapng", {"weak-signature"},
         {"weak-signature", Severity::Warning, {"(RSASSA-PSS)", "Lync Server 2013 cannot verify"}}},
        {"tls12-client-no-clientauth-eku.pcapng", {"handshake-incomplete", "no-client-auth-eku", "tls-alert"},
         {"no-client-auth-eku", Severity::Error,
          {"The client 127.0.0.2:", "to 127.0.0.3:5061 (server)", "Extended Key Usage (serverAuth)",
           "lacks Client Authentication"}}},
        {"tls-untrusted-ca.pcapng", {"handshake-incomplete", "issuer-not-in-ca-list", "tls-alert"},
         {"issuer-not-in-ca-list", Severity::Warning,
          {"127.0.0.3:5061 (server) asked for a client certificate issued by one of 1 CAs",
           "the chain of 127.0.0.2:", "was issued by CN=Fabrikam Untrusted CA"}}},
    }));
    CAPTURE(file, expected.code);
    const auto events = test::read_events({test::pcap(file)});
    CHECK(sorted(test::finding_codes(events)) == codes);
    int seen = 0;
    for (const auto* f : test::payloads<Finding>(events)) {
        if (f->code != expected.code) continue;
        ++seen;
        CHECK(f->severity == expected.severity);
        for (const auto& words : expected.says) CHECK_THAT(f->message, Catch::Contains(words));
        CHECK_FALSE(f->evidence.empty());
    }
    CHECK(seen == 1);
}

TEST_CASE("[diagnosis] Windows peers: the CertificateRequest's list size is kept", "[diagnosis]") {
    // The events outlive the loop: payloads() points into them.
    const auto events = test::read_events({test::pcap("tls12-ca-list-too-long.pcapng")});
    int requests = 0;
    for (const auto* m : test::payloads<TlsMessage>(events))
        if (m->type == "certificate_request") {
            ++requests;
            CHECK(m->ca_names.size() == 301);
            CHECK(m->ca_names.back() == "CN=Contoso Root CA,O=Contoso,C=US");  // past the first 16 KB
            REQUIRE(m->ca_names_bytes);
            CHECK(*m->ca_names_bytes > 40000);
            REQUIRE(m->ca_names_within_limit);  // names of ~165 bytes: about 98 fit in 16 KB
            CHECK(*m->ca_names_within_limit > 80);
            CHECK(*m->ca_names_within_limit < 120);
        }
    CHECK(requests == 1);
}

TEST_CASE("[diagnosis] healthy sessions raise none of the certificate findings", "[diagnosis]") {
    for (const char* good : {"tls-good.pcapng", "tls13-good.pcapng", "tls13-good-server-fin.pcapng",
                             "tls12-good-server-fin.pcapng", "tls12-chacha-good.pcapng", "tls12-cbc-good.pcapng",
                             "tls10-rsa-aes128-sha.pcapng", "tls12-rsa-resumed.pcapng"}) {
        CAPTURE(good);
        const auto events = test::read_events({test::pcap(good)});
        CHECK(test::finding_codes(events).empty());
        for (const auto* c : test::payloads<Certificate>(events)) {
            CHECK(c->signature_algorithm == "sha256WithRSAEncryption");  // read, and sound
            if (c->index == 0) {
                REQUIRE(c->eku);
                CHECK(std::count(c->eku->begin(), c->eku->end(), "clientAuth") == 1);
            }
        }
    }
}

TEST_CASE("[diagnosis] an accepted weak signature is said when the peer carries on, not at the end", "[diagnosis]") {
    const auto events = test::read_events({test::pcap("tls12-client-pss-signature.pcapng")});
    std::uint64_t finding = 0, first_data = 0;
    for (const auto& e : events) {
        if (const auto* f = e.as<Finding>(); f && f->code == "weak-signature") finding = e.seq;
        if (const auto* m = e.as<TlsMessage>(); m && m->type == "application_data" && !first_data) first_data = e.seq;
    }
    REQUIRE(finding != 0);
    REQUIRE(first_data != 0);
    CHECK(finding < first_data);  // right after the server's ChangeCipherSpec
}

// The key log of a capture, as `--keylog` gives it (the CLI also reads the copy embedded in
// these pcapng files; the test harness reads only what it is given).
decoder::KeyLog keys_of(const std::string& name) {
    decoder::KeyLog keys;
    std::vector<std::string> problems;
    REQUIRE(keys.add_file(test::pcap(name + ".keys"), problems));
    return keys;
}

TEST_CASE("[diagnosis] the UM call router's 302: followed to the worker, or not", "[diagnosis]") {
    const auto followed_keys = keys_of("tls-um-redirect"), missing_keys = keys_of("tls-um-redirect-not-followed");
    const auto followed = test::read_events({test::pcap("tls-um-redirect.pcapng")}, {}, &followed_keys);
    CHECK(test::finding_codes(followed) == std::vector<std::string>{"um-redirect"});
    for (const auto* f : test::payloads<Finding>(followed)) {
        CHECK(f->severity == Severity::Info);
        CHECK_THAT(f->message, Catch::Contains("127.0.0.3:5061 (the UM call router) answered 302 Moved Temporarily to "
                                               "INVITE (CSeq 1), redirecting 127.0.0.2:"));
        CHECK_THAT(f->message, Catch::Contains("Connection #2 followed (linked by port 5065 and its TLS SNI "
                                               "exch01.contoso.com)"));
        REQUIRE(f->redirect);
        CHECK(f->redirect->conn == 2u);
        CHECK(f->evidence.size() == 4);
    }
    const auto missing = test::read_events({test::pcap("tls-um-redirect-not-followed.pcapng")}, {}, &missing_keys);
    CHECK(test::finding_codes(missing) == std::vector<std::string>{"um-redirect-not-followed"});
    for (const auto* f : test::payloads<Finding>(missing)) {
        CHECK(f->severity == Severity::Error);
        CHECK_THAT(f->message, Catch::Contains("No connection to 127.0.0.4:5065 was established in this capture"));
        CHECK_THAT(f->message, Catch::Contains("a firewall between them blocking TCP 5065"));
    }
}
