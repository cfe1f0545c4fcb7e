#include <catch2/catch.hpp>

#include <map>

#include "decoder/analysis/diagnoser.hpp"
#include "decoder/analysis/diagnosis_rules.hpp"
#include "decoder/analysis/ms_diagnostics_table.hpp"

using namespace decoder;

namespace {

constexpr Micros kDay = 86'400'000'000;
constexpr Micros kNow = 1'780'000'000'000'000;  // 2026-05-28

Certificate leaf(std::string cn, std::vector<std::string> san, Side side = Side::Client) {
    Certificate c;
    c.side = side;
    c.subject_cn = cn;
    c.subject = "CN=" + cn;
    c.san = std::move(san);
    c.wildcard_cn = cn.find('*') != std::string::npos;
    c.not_before = kNow - 365 * kDay;
    c.not_after = kNow + 365 * kDay;
    return c;
}

std::vector<std::string> codes(const std::vector<FindingDraft>& v) {
    std::vector<std::string> out;
    for (const auto& f : v) out.push_back(f.code);
    return out;
}

}  // namespace

TEST_CASE("[rules] Lync's name rule against a TLS client's SAN rule", "[rules]") {
    using Row = std::tuple<std::string, std::string, bool, bool>;
    auto [name, fqdn, lync, dns] = GENERATE(table<std::string, std::string, bool, bool>({
        Row{"exch01.contoso.com", "exch01.contoso.com", true, true},
        Row{"EXCH01.Contoso.com", "exch01.contoso.com", true, true},
        Row{"exch01.contoso.com.", "exch01.contoso.com", true, true},
        Row{"*.contoso.com", "exch01.contoso.com", false, true},
        Row{"*.contoso.com", "a.b.contoso.com", false, false},
        Row{"*.com", "contoso.com", false, false},
        Row{"exch02.contoso.com", "exch01.contoso.com", false, false},
        Row{"", "exch01.contoso.com", false, false},
    }));
    CAPTURE(name, fqdn);
    CHECK(lync_name_match(name, fqdn) == lync);
    CHECK(dns_name_match(name, fqdn) == dns);
}

TEST_CASE("[rules] certificate rules", "[rules]") {
    CHECK(codes(check_certificate(leaf("exch01.contoso.com", {}), kNow)).empty());
    auto wildcard = check_certificate(leaf("*.contoso.com", {}), kNow);
    REQUIRE(codes(wildcard) == std::vector<std::string>{"wildcard-subject-cn"});
    CHECK(wildcard[0].severity == Severity::Error);
    CHECK(check_certificate(leaf("*.contoso.com", {}, Side::Server), kNow)[0].severity == Severity::Warning);

    auto expired = leaf("exch01.contoso.com", {});
    expired.not_after = kNow - kDay;
    CHECK(codes(check_certificate(expired, kNow)) == std::vector<std::string>{"cert-expired"});
    auto future = leaf("exch01.contoso.com", {});
    future.not_before = kNow + kDay;
    CHECK(codes(check_certificate(future, kNow)) == std::vector<std::string>{"cert-not-yet-valid"});
    auto self = leaf("exch01.contoso.com", {});
    self.self_signed = true;
    CHECK(codes(check_certificate(self, kNow)) == std::vector<std::string>{"self-signed"});
    self.index = 2;  // a root at the end of a chain is self-signed by nature
    CHECK(codes(check_certificate(self, kNow)).empty());
}

TEST_CASE("[rules] the leaf's name against the FQDN the peer expects", "[rules]") {
    using Codes = std::vector<std::string>;
    CHECK(codes(check_leaf_name(leaf("exch01.contoso.com", {"exch01.contoso.com"}), "exch01.contoso.com", "x")).empty());
    CHECK(codes(check_leaf_name(leaf("um.contoso.com", {}), "exch01.contoso.com", "x")) == Codes{"cn-not-peer-fqdn"});
    CHECK(codes(check_leaf_name(leaf("um.contoso.com", {"exch01.contoso.com"}), "exch01.contoso.com", "x")) ==
          Codes{"cn-not-peer-fqdn", "san-ignored-by-lync"});
    CHECK(codes(check_leaf_name(leaf("*.contoso.com", {"*.contoso.com"}), "exch01.contoso.com", "x")) ==
          Codes{"san-ignored-by-lync"});
    // No expected name: only the wildcard CN with concrete SANs is worth saying.
    CHECK(codes(check_leaf_name(leaf("*.contoso.com", {"exch01.contoso.com"}), "", "")) == Codes{"san-ignored-by-lync"});
    CHECK(codes(check_leaf_name(leaf("*.contoso.com", {"*.contoso.com"}), "", "")).empty());
    CHECK(codes(check_leaf_name(leaf("exch01.contoso.com", {"x.contoso.com"}), "", "")).empty());
}

TEST_CASE("[rules] teardown rules", "[rules]") {
    const Endpoint client{"10.0.0.2", 50123}, server{"10.0.0.3", 5061};
    ConnClose c;
    c.by = server;
    c.side = Side::Server;
    c.how = CloseHow::Fin;
    c.handshake_complete = true;
    c.client_records = 1;
    c.after = "client application data record (437 bytes)";
    c.after_from = Side::Client;
    auto f = check_close(c, Transport::Tls, client, server);
    REQUIRE(codes(f) == std::vector<std::string>{"closed-after-request"});
    CHECK(f[0].severity == Severity::Error);
    CHECK_THAT(f[0].message, Catch::Contains("10.0.0.3:5061 (server) closed the connection with fin"));

    c.after_from = Side::Server;  // the server had the last word: a normal end
    CHECK(check_close(c, Transport::Tls, client, server).empty());

    c.how = CloseHow::Rst;
    c.unanswered = {"OPTIONS 2"};
    c.client_messages = 3;
    c.server_messages = 1;
    CHECK(codes(check_close(c, Transport::Tls, client, server)) ==
          std::vector<std::string>{"closed-after-request", "reset-by-peer"});

    ConnClose failed;
    failed.by = server;
    failed.side = Side::Server;
    failed.how = CloseHow::Alert;
    failed.alert = "unknown_ca";
    CHECK(codes(check_close(failed, Transport::Tls, client, server)) == std::vector<std::string>{"handshake-incomplete"});
    CHECK(check_close(failed, Transport::Tcp, client, server).empty());
}

TEST_CASE("[rules] alerts, SIP errors and ms-diagnostics", "[rules]") {
    const Endpoint lync{"10.0.0.3", 5061};
    CHECK_FALSE(check_alert({"warning", "close_notify", false, std::nullopt, AlertDescription::CloseNotify}, Side::Client,
                            lync));
    CHECK_FALSE(check_alert({"unknown", "encrypted", true}, Side::Server, lync));
    auto a = check_alert({"fatal", "unknown_ca", false}, Side::Server, lync);
    REQUIRE(a);
    CHECK(a->severity == Severity::Error);

    SipMessage r;
    r.is_request = false;
    r.method = "OPTIONS";
    r.cseq = "1 OPTIONS";
    r.status = 401;
    CHECK_FALSE(check_sip_response(r, lync));  // an auth challenge is normal
    r.status = 403;
    CHECK(check_sip_response(r, lync));
    CHECK_FALSE(check_ms_diagnostics(r, lync));
    r.ms_diagnostics = MsDiagnostics{1046, "Failed to connect to a federated peer server", {}};
    auto d = check_ms_diagnostics(r, lync);
    REQUIRE(d);
    CHECK_THAT(d->message, Catch::Contains("failed to connect to the peer server"));

    CHECK(hresult_meaning("0x800B0109(CERT_E_UNTRUSTEDROOT)")->name == "CERT_E_UNTRUSTEDROOT");
    CHECK(hresult_meaning("800B0101")->name == "CERT_E_EXPIRED");
    CHECK_FALSE(hresult_meaning("0x12345678"));
    CHECK_FALSE(hresult_meaning("garbage"));
    for (int code : {1010, 1018, 1034, 1036, 1046}) CHECK(ms_diagnostics_meaning(code));
    CHECK(ms_diagnostics_range(15010) == "Exchange Server UM");
}

TEST_CASE("[rules] the FQDN a SIP message names for its sender", "[rules]") {
    SipMessage m;
    m.contact = "<sip:exch01.contoso.com:5061;transport=Tls;maddr=exch01.contoso.com>";
    CHECK(sender_fqdn(m)->first == "exch01.contoso.com");
    m.contact = "<sip:10.0.0.2:5061>";
    m.via = {"SIP/2.0/TLS um01.contoso.com:5061;branch=z9hG4bK1"};
    CHECK(sender_fqdn(m)->first == "um01.contoso.com");
    m.via = {"SIP/2.0/TLS 10.0.0.2:5061;branch=z9hG4bK1"};
    m.from = "<sip:alice@contoso.com>;tag=1";  // a user's URI names a domain, not a host
    CHECK_FALSE(sender_fqdn(m));
    m.from = "<sip:exch02.contoso.com>;tag=1";
    CHECK(sender_fqdn(m)->second == "From header");
    m.is_request = false;  // a response's From names the requester
    CHECK_FALSE(sender_fqdn(m));
}

TEST_CASE("[rules] a refused ClientHello: version mismatch or no shared cipher", "[rules]") {
    const Endpoint client{"10.0.0.2", 50123}, server{"10.0.0.3", 5061};
    // hello's version, its supported_versions, the refusal, the finding (or "" for none), the advice
    const auto [version, supported, refusal, code, says] =
        GENERATE(table<std::string, std::vector<std::string>, std::string, std::string, std::string>({
            {"TLS 1.0", {}, "protocol_version", "tls-version-mismatch", "Enable TLS 1.2 on the client"},
            {"TLS 1.1", {}, "rst", "tls-version-mismatch", "Enable TLS 1.2 on the client"},
            {"TLS 1.2", {"TLS 1.3", "TLS 1.2"}, "protocol_version", "tls-version-mismatch", "if it is the older side"},
            {"TLS 1.2", {"GREASE", "TLS 1.3"}, "protocol_version", "tls-version-mismatch", "highest TLS version is TLS 1.3"},
            {"TLS 1.2", {}, "fin", "", ""},  // a TLS 1.2 client hung up on: no version to blame
            {"TLS 1.2", {}, "handshake_failure", "no-shared-cipher", "TLS_RSA_WITH_AES_128_CBC_SHA, up to TLS 1.2"},
            {"TLS 1.2", {}, "unknown_ca", "", ""},
        }));
    CAPTURE(version, supported, refusal);
    TlsMessage hello;
    hello.type = "client_hello";
    hello.version = version;
    hello.supported_versions = supported;
    hello.ciphers = {"TLS_RSA_WITH_AES_128_CBC_SHA"};
    // The refusals as the events name them, typed as the rule takes them.
    const std::map<std::string, HelloRefusal> typed{{"fin", {.close = CloseHow::Fin}},
                                                    {"rst", {.close = CloseHow::Rst}},
                                                    {"protocol_version", {.alert = AlertDescription::ProtocolVersion}},
                                                    {"handshake_failure", {.alert = AlertDescription::HandshakeFailure}},
                                                    {"unknown_ca", {.alert = AlertDescription{48}}}};
    const auto f = check_refused_hello(hello, typed.at(refusal), client, server);
    REQUIRE(bool(f) == !code.empty());
    if (!f) return;
    CHECK(f->code == code);
    CHECK(f->severity == Severity::Error);
    CHECK_THAT(f->message, Catch::Contains("10.0.0.3:5061 (server) refused the ClientHello of 10.0.0.2:50123 (client)"));
    CHECK_THAT(f->message, Catch::Contains(says));
    CHECK_THAT(f->message, !Catch::Contains("server's highest"));  // never a version the capture does not show
}

TEST_CASE("[rules] weak signatures: SHA-1, MD5 and RSASSA-PSS, an error once refused", "[rules]") {
    const Endpoint client{"10.0.0.2", 50123}, server{"10.0.0.3", 5061};
    // signature algorithm, self-signed, the peer's alert, expected severity ("" for no finding), words
    const auto [algorithm, self_signed, refusal, severity, says] =
        GENERATE(table<std::string, bool, std::string, std::string, std::string>({
            {"sha1WithRSAEncryption", false, "", "warning", "(SHA-1)"},
            {"sha1WithRSAEncryption", false, "bad_certificate", "error",
             "10.0.0.3:5061 (server) then refused it with the fatal alert bad_certificate"},
            {"md5WithRSAEncryption", false, "", "warning", "(MD5)"},
            {"ecdsa-with-SHA1", false, "", "warning", "(SHA-1)"},
            {"rsassaPss", false, "", "warning", "Lync Server 2013 cannot verify RSASSA-PSS"},
            {"sha1WithRSAEncryption", true, "", "", ""},  // a root's own signature is never checked
            {"sha256WithRSAEncryption", false, "bad_certificate", "", ""},
            {"ecdsa-with-SHA384", false, "", "", ""},
        }));
    CAPTURE(algorithm, self_signed, refusal);
    auto c = leaf("exch01.contoso.com", {});
    c.signature_algorithm = algorithm;
    c.self_signed = self_signed;
    const auto f = check_weak_signature(c, client, server, refusal);
    REQUIRE(bool(f) == !severity.empty());
    if (!f) return;
    CHECK(f->code == "weak-signature");
    CHECK(to_string(f->severity) == severity);
    CHECK_THAT(f->message, Catch::StartsWith("The client 10.0.0.2:50123 presented the certificate CN=exch01.contoso.com"));
    CHECK_THAT(f->message, Catch::Contains(says));
}

TEST_CASE("[rules] weak keys: RSA under 2048 bits", "[rules]") {
    const auto [key, weak] = GENERATE(table<std::string, bool>({
        {"RSA-1024", true}, {"RSA-PSS-1536", true}, {"RSA-2048", false}, {"RSA-4096", false},
        {"EC-P-256", false}, {"Ed25519", false}, {"DSA-1024", false}, {"RSA-", false},
    }));
    CAPTURE(key);
    auto c = leaf("lync01.contoso.com", {}, Side::Server);
    c.key = key;
    const auto f = check_weak_key(c, Endpoint{"10.0.0.3", 5061});
    REQUIRE(bool(f) == weak);
    if (!f) return;
    CHECK(f->code == "weak-key");
    CHECK(f->severity == Severity::Warning);
    CHECK_THAT(f->message, Catch::StartsWith("The server 10.0.0.3:5061 presented the certificate CN=lync01.contoso.com"));
}

TEST_CASE("[rules] a client certificate without Client Authentication", "[rules]") {
    const Endpoint client{"10.0.0.2", 50123}, server{"10.0.0.3", 5061};
    auto c = leaf("exch01.contoso.com", {});
    CHECK_FALSE(check_client_auth_eku(c, client, server));  // no EKU extension: any purpose
    c.eku = std::vector<std::string>{"serverAuth", "clientAuth"};
    CHECK_FALSE(check_client_auth_eku(c, client, server));
    c.eku = std::vector<std::string>{"anyExtendedKeyUsage"};
    CHECK_FALSE(check_client_auth_eku(c, client, server));
    c.eku = std::vector<std::string>{"serverAuth"};
    const auto f = check_client_auth_eku(c, client, server);
    REQUIRE(f);
    CHECK(f->code == "no-client-auth-eku");
    CHECK(f->severity == Severity::Error);
    CHECK_THAT(f->message, Catch::Contains("to 10.0.0.3:5061 (server)"));
    CHECK_THAT(f->message, Catch::Contains("(serverAuth) lacks Client Authentication"));
    c.index = 1;  // a CA certificate of the chain is no client certificate
    CHECK_FALSE(check_client_auth_eku(c, client, server));
    c.index = 0;
    c.side = Side::Server;
    CHECK_FALSE(check_client_auth_eku(c, client, server));
}

TEST_CASE("[rules] the CertificateRequest's CA list: its size and the client's answer", "[rules]") {
    const Endpoint client{"10.0.0.2", 50123}, server{"10.0.0.3", 5061};
    TlsMessage request;
    request.type = "certificate_request";
    request.ca_names = {"CN=Filler 1", "CN=Contoso Root CA,O=Contoso,C=US"};
    auto chain = std::vector<Certificate>{leaf("exch01.contoso.com", {})};
    chain[0].issuer = "CN=Contoso Issuing CA 1,O=Contoso,C=US";
    CHECK_FALSE(chain_issuer_listed(chain, request.ca_names));
    const auto f = check_issuer_in_ca_list(chain, request, client, server);
    REQUIRE(f);
    CHECK(f->code == "issuer-not-in-ca-list");
    CHECK(f->severity == Severity::Warning);
    CHECK_THAT(f->message, Catch::Contains("10.0.0.3:5061 (server) asked for a client certificate issued by one of 2 CAs"));
    CHECK_THAT(f->message, Catch::Contains("the chain of 10.0.0.2:50123 (client)"));
    chain.push_back(leaf("Contoso Issuing CA 1", {}));
    chain[1].issuer = "CN=Contoso Root CA,O=Contoso,C=US";
    CHECK(chain_issuer_listed(chain, request.ca_names));
    CHECK_FALSE(check_issuer_in_ca_list(chain, request, client, server));
    request.ca_names.clear();  // no list: any issuer will do
    CHECK_FALSE(check_issuer_in_ca_list({leaf("x", {})}, request, client, server));

    request.ca_names.assign(120, "CN=Filler");
    // bytes of the list, the client's answer, severity ("" for none)
    const auto [bytes, answer, severity] = GENERATE(table<std::uint64_t, CaListAnswer, std::string>({
        {16384, CaListAnswer::NoCertificate, ""},
        {16385, CaListAnswer::IssuerListed, "warning"},
        {16385, CaListAnswer::Unknown, "warning"},
        {41000, CaListAnswer::NoCertificate, "error"},
        {41000, CaListAnswer::IssuerNotListed, "error"},
    }));
    CAPTURE(bytes, severity);
    request.ca_names_bytes = bytes;
    const auto size = check_ca_list_size(request, answer, client, server);
    REQUIRE(bool(size) == !severity.empty());
    if (!size) return;
    CHECK(size->code == "ca-list-too-long");
    CHECK(to_string(size->severity) == severity);
    CHECK_THAT(size->message, Catch::Contains("names 120 trusted CAs in " + std::to_string(bytes) + " bytes"));
    CHECK_THAT(size->message, Catch::Contains("KB 2464556 and KB 2880390"));
    CHECK_THAT(size->message, Catch::Contains("10.0.0.3:5061 (server)"));
    CHECK_THAT(size->message, Catch::Contains("10.0.0.2:50123 (client)"));
}

TEST_CASE("[rules] ca-list-too-long says whether the client's issuer lies beyond Schannel's 16 KB cut", "[rules]") {
    const Endpoint client{"10.0.0.2", 50123}, server{"10.0.0.3", 5061};
    TlsMessage request;
    request.type = "certificate_request";
    for (int i = 1; i <= 300; ++i) request.ca_names.push_back("CN=Filler " + std::to_string(i));
    request.ca_names.push_back("CN=Contoso Root CA,O=Contoso,C=US");
    request.ca_names_bytes = 49945;
    request.ca_names_within_limit = 99;
    auto chain = std::vector<Certificate>{leaf("exch01.contoso.com", {})};
    chain[0].issuer = "CN=Contoso Root CA,O=Contoso,C=US";
    const auto position = listed_issuer_position(chain, request.ca_names);
    REQUIRE(position == 300u);
    const auto beyond = check_ca_list_size(request, CaListAnswer::IssuerListed, client, server, position);
    REQUIRE(beyond);
    CHECK(beyond->severity == Severity::Warning);  // the client did answer with that chain
    CHECK_THAT(beyond->message, Catch::Contains("Its issuer CN=Contoso Root CA,O=Contoso,C=US is name 301 of 301, and "
                                                "only the first 99 names fit in 16 KB: it lies beyond the cut"));
    chain[0].issuer = "CN=Filler 99";
    const auto within = check_ca_list_size(request, CaListAnswer::IssuerListed, client, server,
                                           listed_issuer_position(chain, request.ca_names));
    REQUIRE(within);
    CHECK_THAT(within->message, Catch::Contains("is name 99 of 301, and only the first 99 names fit in 16 KB: it lies "
                                                "within the cut"));
    // Without the count (a list under the limit, or an older event) nothing is said about the cut.
    request.ca_names_within_limit.reset();
    const auto unknown = check_ca_list_size(request, CaListAnswer::IssuerListed, client, server, position);
    REQUIRE(unknown);
    CHECK(unknown->message.find("the cut") == std::string::npos);
}
