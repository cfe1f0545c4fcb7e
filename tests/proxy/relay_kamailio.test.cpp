// The relay in front of Kamailio as the Lync stand-in: a good UM certificate is answered with
// 200 OK, a wildcard one gets no answer and a bare FIN, through siptap exactly as directly.
#include <catch2/catch.hpp>

#include <fstream>

#include "fidelity_support.hpp"
#include "kamailio_support.hpp"
#include "siptap_support.hpp"

using namespace proxy_test;

namespace {

const std::string kOptions =
    "OPTIONS sip:lync01.contoso.com;transport=tls SIP/2.0\r\n"
    "Via: SIP/2.0/TLS um01.contoso.com:5061;branch=z9hG4bK-kam-1\r\n"
    "From: <sip:um01.contoso.com>;tag=1\r\nTo: <sip:lync01.contoso.com>\r\n"
    "Call-ID: kamailio-test-1\r\nCSeq: 1 OPTIONS\r\nUSER-AGENT: RTCC/4.0.0.0 MSExchangeUM/14.0\r\n"
    "Content-Length: 0\r\n\r\n";

struct LyncSetup {
    TempDir dir;
    std::unique_ptr<Kamailio> lync;
    std::string request = dir / "options.sip";

    LyncSetup() {
        make_pki(dir);
        std::ofstream(request, std::ios::binary) << kOptions;
        lync = std::make_unique<Kamailio>(dir, KamailioSetup{"um01.contoso.com", dir / "ca.pem",
                                                             dir / "lync.pem", dir / "lync.key"});
    }
    // Mode (a): siptap presents a fixed certificate to Lync.
    std::string given_certs(const std::string& upstream_cert) const {
        return "--cert " + dir / "siptap.pem" + " --key " + dir / "siptap.key" + " --upstream-cert " +
               dir / (upstream_cert + ".pem") + " --upstream-key " + dir / (upstream_cert + ".key");
    }
};

}  // namespace

TEST_CASE("[proxy] Kamailio answers a good UM certificate with 200 OK, through siptap as directly", "[proxy]") {
    LyncSetup s;
    const auto direct = run_sip_client(s.dir, s.lync->address(), "um", s.request);
    REQUIRE(direct["received"].get<std::string>().rfind("SIP/2.0 200 OK\r\n", 0) == 0);
    CHECK(direct["close"] == "open");

    SiptapProxy siptap(s.dir, s.lync->address(), s.given_certs("um"));
    const auto relayed = run_sip_client(s.dir, siptap.address(), "um", s.request);
    CHECK(relayed["received"] == direct["received"]);  // byte for byte, To-tag included
    CHECK(relayed["close"] == direct["close"]);
    CHECK(relayed["peer_cn"] == "siptap.test");

    const auto events = siptap.wait_closes(2);
    const Legs legs = find_legs(events, siptap.address(), s.lync->address());
    REQUIRE(legs.client != 0);
    REQUIRE(legs.upstream != 0);
    CHECK(leaf_cns(events, legs.client, "client") == std::vector<std::string>{"um01.contoso.com"});
    CHECK(leaf_cns(events, legs.client, "server") == std::vector<std::string>{"siptap.test"});
    CHECK(leaf_cns(events, legs.upstream, "client") == std::vector<std::string>{"um01.contoso.com"});
    CHECK(leaf_cns(events, legs.upstream, "server") == std::vector<std::string>{"lync01.contoso.com"});
    for (auto leg : {legs.client, legs.upstream}) {
        CAPTURE(leg);
        const auto sip = events_of(events, "sip", leg);
        REQUIRE(sip.size() == 2);
        CHECK(sip[0]["method"] == "OPTIONS");
        CHECK(sip[1]["status"] == 200);
        const auto close = events_of(events, "conn_close", leg);
        REQUIRE(close.size() == 1);
        CHECK(close[0]["side"] == "client");  // the UM side hung up, after its answer
        CHECK(close[0]["unanswered"].empty());
    }
}

TEST_CASE("[proxy] Kamailio closes a wildcard UM certificate's connection with a bare FIN, through siptap as directly", "[proxy]") {
    LyncSetup s;
    const auto direct = run_sip_client(s.dir, s.lync->address(), "umwild", s.request);
    CHECK(direct["handshake"] == "ok");
    CHECK(direct["received"] == "");
    CHECK(direct["close"] == "fin");

    SiptapProxy siptap(s.dir, s.lync->address(), s.given_certs("umwild"));
    const auto relayed = run_sip_client(s.dir, siptap.address(), "umwild", s.request);
    CHECK(relayed["handshake"] == "ok");
    CHECK(relayed["received"] == "");
    CHECK(relayed["close"] == "fin");  // no close_notify added by siptap

    const auto events = siptap.wait_closes(2);
    const Legs legs = find_legs(events, siptap.address(), s.lync->address());
    REQUIRE(legs.client != 0);
    REQUIRE(legs.upstream != 0);
    CHECK(leaf_cns(events, legs.client, "client") == std::vector<std::string>{"*.contoso.com"});
    CHECK(leaf_cns(events, legs.upstream, "client") == std::vector<std::string>{"*.contoso.com"});
    CHECK(leaf_cns(events, legs.upstream, "server") == std::vector<std::string>{"lync01.contoso.com"});

    const auto up_close = events_of(events, "conn_close", legs.upstream);
    REQUIRE(up_close.size() == 1);
    CHECK(up_close[0]["by"] == s.lync->address());
    CHECK(up_close[0]["side"] == "server");
    CHECK(up_close[0]["how"] == "fin");
    CHECK(up_close[0]["after"].get<std::string>().find("OPTIONS") != std::string::npos);
    CHECK(up_close[0]["unanswered"] == nlohmann::json::array({"OPTIONS 1"}));

    const auto client_close = events_of(events, "conn_close", legs.client);
    REQUIRE(client_close.size() == 1);
    CHECK(client_close[0]["by"] == siptap.address());
    CHECK(client_close[0]["side"] == "server");
    CHECK(client_close[0]["how"] == "fin");
    for (auto leg : {legs.client, legs.upstream})
        for (const auto& alert : events_of(events, "tls_alert", leg))
            CHECK(alert["description"] != "close_notify");
}

TEST_CASE("[proxy] Kamailio refuses siptap's expired certificate: the client's certificate is refused with the same alert", "[proxy]") {
    LyncSetup s;
    SiptapProxy siptap(s.dir, s.lync->address(), s.given_certs("umexpired"));
    const auto relayed = run_sip_client(s.dir, siptap.address(), "um", s.request);
    CHECK(relayed["received"] == "");
    CHECK(relayed["close"] == "alert:certificate_expired");

    const auto events = siptap.wait_closes(2);
    const Legs legs = find_legs(events, siptap.address(), s.lync->address());
    REQUIRE(legs.upstream != 0);
    std::vector<std::string> from_lync, to_client;
    for (const auto& e : events_of(events, "tls_alert", legs.upstream))
        if (e["src"] == s.lync->address()) from_lync.push_back(e["description"]);
    for (const auto& e : events_of(events, "tls_alert", legs.client))
        if (e["src"] == siptap.address()) to_client.push_back(e["description"]);
    CHECK(from_lync == std::vector<std::string>{"certificate_expired"});
    CHECK(to_client == std::vector<std::string>{"certificate_expired"});
}

// Kamailio set as a Windows Server 2008 R2 era peer (TLS 1.0 only, RSA key exchange with
// AES128-SHA at security level 0) with a Schannel-like client: through siptap --forge-ca the
// client sees what it sees directly, and a modern client is refused the same way.
TEST_CASE("[proxy] fidelity: Kamailio at method TLSv1 with legacy ciphers, through siptap as directly",
          "[proxy][fidelity][slow]") {
    TempDir dir;
    const auto& pki = legacy_pki();
    Kamailio lync(dir, KamailioSetup{"um01.contoso.com", pki / "trust.pem", pki / "srv.pem", pki / "srv.key",
                                     "TLSv1", "AES128-SHA:@SECLEVEL=0"});
    SiptapProxy siptap(dir, lync.address(), forge_opts() + " --trust " + pki / "root.pem");
    const std::string legacy_client = cert_opts("clisha1") + " --ciphers AES128-SHA:@SECLEVEL=0 --max 1.0";
    const std::string modern_client = cert_opts("cli") + " --min 1.2";
    auto client = [&](const std::string& target, const std::string& opts) {
        const auto lines = json_lines(command_output("timeout 30 python3 " + kLegacyPeers + " client --connect " +
                                                     target + " --cafile " + pki / "trust.pem" +
                                                     " --sni lync01.contoso.com" + opts + " 2>&1"));
        REQUIRE(lines.size() == 1);
        return lines[0];  // with the server certificate's signature, key size, subject and EKU
    };
    const auto direct = client(lync.address(), legacy_client);
    CHECK(direct["outcome"] == "ok");
    CHECK(direct["version"] == "TLSv1");
    CHECK(direct["cipher"] == "AES128-SHA");
    CHECK(direct["answered"] == true);
    CHECK(client(siptap.address(), legacy_client).dump() == direct.dump());

    const auto refused = client(lync.address(), modern_client);
    CHECK(refused["outcome"] == "alert:protocol_version");
    CHECK(client(siptap.address(), modern_client).dump() == refused.dump());

    const auto events = siptap.wait_closes(4);
    CHECK(nlohmann::json(notices(events, "relay-error")).dump() == "[]");
    CHECK(nlohmann::json(notices(events, "relay-mirror")).dump() == "[]");
}
