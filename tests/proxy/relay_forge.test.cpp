// --forge-ca in front of Kamailio (trusting only the forge CA): each peer sees a forgery of the
// other's certificate, so Lync judges the UM certificate's own CN, validity and trust.
#include <catch2/catch.hpp>

#include <fstream>

#include "kamailio_support.hpp"
#include "siptap_support.hpp"

using namespace proxy_test;

namespace {

const std::string kOptions =
    "OPTIONS sip:lync01.contoso.com;transport=tls SIP/2.0\r\n"
    "Via: SIP/2.0/TLS um01.contoso.com:5061;branch=z9hG4bK-forge-1\r\n"
    "From: <sip:um01.contoso.com>;tag=1\r\nTo: <sip:lync01.contoso.com>\r\n"
    "Call-ID: forge-test-1\r\nCSeq: 1 OPTIONS\r\nUSER-AGENT: RTCC/4.0.0.0 MSExchangeUM/14.0\r\n"
    "Content-Length: 0\r\n\r\n";

struct ForgeSetup {
    TempDir dir;
    std::unique_ptr<Kamailio> lync;
    std::unique_ptr<SiptapProxy> siptap;
    std::string request = dir / "options.sip";

    ForgeSetup() {
        make_pki(dir);
        std::ofstream(request, std::ios::binary) << kOptions;
        lync = std::make_unique<Kamailio>(dir, KamailioSetup{"um01.contoso.com", dir / "forgeca.pem",
                                                             dir / "lync.pem", dir / "lync.key"});
        siptap = std::make_unique<SiptapProxy>(dir, lync->address(),
                                               "--forge-ca " + dir / "forgeca.pem" + " --forge-ca-key " +
                                                   dir / "forgeca.key" + " --trust " + dir / "ca.pem");
    }
    Legs legs(const std::vector<nlohmann::json>& events) const {
        return find_legs(events, siptap->address(), lync->address());
    }
};

nlohmann::json leaf(const std::vector<nlohmann::json>& events, std::uint64_t conn, const std::string& side) {
    for (const auto& e : events_of(events, "certificate", conn))
        if (e["side"] == side && e["index"] == 0) return e;
    return {};
}

std::vector<std::string> alerts_from(const std::vector<nlohmann::json>& events, std::uint64_t conn,
                                     const std::string& src) {
    std::vector<std::string> out;
    for (const auto& e : events_of(events, "tls_alert", conn))
        if (e["src"] == src) out.push_back(e["description"]);
    return out;
}

}  // namespace

TEST_CASE("[proxy] forged certificates: a good UM certificate is answered with 200 OK", "[proxy][slow]") {
    ForgeSetup s;
    const auto got = run_sip_client(s.dir, s.siptap->address(), "um", s.request);
    CHECK(got["received"].get<std::string>().rfind("SIP/2.0 200 OK\r\n", 0) == 0);
    CHECK(got["close"] == "open");
    CHECK(got["peer_cn"] == "lync01.contoso.com");  // mode (c): Lync's certificate, mimicked

    // siptap lives on, and the second connection gets the cached forgery of the same original.
    const auto again = run_sip_client(s.dir, s.siptap->address(), "um", s.request);
    CHECK(again["received"].get<std::string>().rfind("SIP/2.0 200 OK\r\n", 0) == 0);

    const auto events = s.siptap->wait_closes(4);
    const Legs legs = s.legs(events);
    REQUIRE(legs.upstream != 0);
    const auto presented = leaf(events, legs.upstream, "client");
    std::vector<std::string> forged_for_lync;
    for (const auto& e : events)
        if (e["event"] == "certificate" && e["side"] == "client" && e["index"] == 0 &&
            e["issuer"] == "CN=siptap Forge CA")
            forged_for_lync.push_back(e["sha256"]);
    REQUIRE(forged_for_lync.size() == 2);
    CHECK(forged_for_lync[0] == forged_for_lync[1]);
    CHECK(presented["subject_cn"] == "um01.contoso.com");
    CHECK(presented["san"] == nlohmann::json::array({"um01.contoso.com"}));
    CHECK(presented["issuer"] == "CN=siptap Forge CA");
    const auto original = leaf(events, legs.client, "client");
    CHECK(original["issuer"] == "CN=Test Root CA");
    CHECK(presented["not_before"] == original["not_before"]);
    CHECK(presented["not_after"] == original["not_after"]);
    CHECK(presented["sha256"] != original["sha256"]);
    const auto mimic = leaf(events, legs.client, "server");
    CHECK(mimic["subject_cn"] == "lync01.contoso.com");
    CHECK(mimic["issuer"] == "CN=siptap Forge CA");
}

TEST_CASE("[proxy] forged certificates: a wildcard UM certificate is refused by Lync with a bare FIN", "[proxy]") {
    ForgeSetup s;
    const auto got = run_sip_client(s.dir, s.siptap->address(), "umwild", s.request);
    CHECK(got["handshake"] == "ok");
    CHECK(got["received"] == "");
    CHECK(got["close"] == "fin");

    const auto events = s.siptap->wait_closes(2);
    const Legs legs = s.legs(events);
    REQUIRE(legs.upstream != 0);
    CHECK(leaf(events, legs.upstream, "client")["subject_cn"] == "*.contoso.com");
    CHECK(leaf(events, legs.upstream, "client")["wildcard_cn"] == true);
    const auto close = events_of(events, "conn_close", legs.upstream);
    REQUIRE(close.size() == 1);
    CHECK(close[0]["side"] == "server");
    CHECK(close[0]["how"] == "fin");
    CHECK(close[0]["unanswered"] == nlohmann::json::array({"OPTIONS 1"}));
}

TEST_CASE("[proxy] forged certificates: an expired UM certificate stays expired and is refused", "[proxy]") {
    ForgeSetup s;
    const auto got = run_sip_client(s.dir, s.siptap->address(), "umexpired", s.request);
    CHECK(got["received"] == "");
    CHECK(got["close"] == "alert:certificate_expired");

    const auto events = s.siptap->wait_closes(2);
    const Legs legs = s.legs(events);
    REQUIRE(legs.client != 0);
    REQUIRE(legs.upstream != 0);
    const auto presented = leaf(events, legs.upstream, "client");
    CHECK(presented["issuer"] == "CN=siptap Forge CA");  // trusted original, so the trusted forge CA
    CHECK(presented["not_after"] == leaf(events, legs.client, "client")["not_after"]);
    CHECK(alerts_from(events, legs.upstream, s.lync->address()) == std::vector<std::string>{"certificate_expired"});
    CHECK(alerts_from(events, legs.client, s.siptap->address()) == std::vector<std::string>{"certificate_expired"});
}

TEST_CASE("[proxy] forged certificates: an untrusted UM certificate is signed by an untrusted CA and refused", "[proxy]") {
    ForgeSetup s;
    const auto got = run_sip_client(s.dir, s.siptap->address(), "umrogue", s.request);
    CHECK(got["received"] == "");
    CHECK(got["close"] == "alert:unknown_ca");

    const auto events = s.siptap->wait_closes(2);
    const Legs legs = s.legs(events);
    REQUIRE(legs.upstream != 0);
    const auto presented = leaf(events, legs.upstream, "client");
    CHECK(presented["subject_cn"] == "um01.contoso.com");
    CHECK(presented["issuer"] == "CN=siptap throwaway untrusted CA");
    CHECK(alerts_from(events, legs.upstream, s.lync->address()) == std::vector<std::string>{"unknown_ca"});
    CHECK(alerts_from(events, legs.client, s.siptap->address()) == std::vector<std::string>{"unknown_ca"});
}

TEST_CASE("[proxy] forged certificates: a client handshake waiting for the upstream's verdict holds up no other",
          "[proxy][slow]") {
    TempDir dir;
    make_pki(dir);
    const std::string request = dir / "options.sip";
    std::ofstream(request, std::ios::binary) << kOptions;
    const auto upstream_port = std::to_string(free_port());
    // One I/O thread: were it the one waiting for the first upstream's verdict, the second
    // client's handshake could not start before that verdict. Two: the connections are on
    // different threads, each the only one to run its connection's handshakes.
    const std::string threads = GENERATE("1", "2");
    CAPTURE(threads);
    SiptapProxy siptap(dir, "127.0.0.1:" + upstream_port,
                       "--threads " + threads + " --forge-ca " + dir / "forgeca.pem" + " --forge-ca-key " + dir / "forgeca.key" +
                           " --trust " + dir / "ca.pem");
    const auto out = nlohmann::json::parse(command_output(
        "timeout 40 python3 " + std::string(SIPTAP_SOURCE_DIR) + "/tests/proxy/stalled_upstream.py --stall 3 --gap 0.5" +
        " --upstream-port " + upstream_port + " --relay " + siptap.address() + " --server-cert " + dir / "lync.pem" +
        " --server-key " + dir / "lync.key" + " --client-ca " + dir / "forgeca.pem" + " --cert " + dir / "um.pem" +
        " --key " + dir / "um.key" + " --send " + request));
    INFO(out.dump());
    CHECK(out["first"]["answer"] == "SIP/2.0 200 OK");
    CHECK(out["second"]["answer"] == "SIP/2.0 200 OK");
    // A TLS 1.3 client is done with its handshake before the server judges its certificate, so
    // the time to the answer is what shows the wait.
    CHECK(out["first"]["total_s"].get<double>() >= 2.5);  // it did wait for the stalled verdict
    CHECK(out["second"]["total_s"].get<double>() < 1.5);  // meanwhile the second went through
}
