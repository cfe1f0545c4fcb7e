// The TLS relay between real peers: openssl s_client (the UM side, with a client
// certificate) -> siptap proxy -> openssl s_server -Verify 1 (the Lync side).
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <random>

#include "peer_support.hpp"

using namespace proxy_test;

namespace {

const std::string kOptions =
    "OPTIONS sip:lync01.contoso.com;transport=tls SIP/2.0\r\n"
    "Via: SIP/2.0/TLS um01.contoso.com:5061;branch=z9hG4bK1\r\n"
    "From: <sip:um01.contoso.com>;tag=1\r\nTo: <sip:lync01.contoso.com>\r\n"
    "Call-ID: relay-test-1\r\nCSeq: 1 OPTIONS\r\nUSER-AGENT: RTCC/4.0.0.0 MSExchangeUM/14.0\r\n"
    "Content-Length: 0\r\n\r\n";
const std::string kOk =
    "SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS um01.contoso.com:5061;branch=z9hG4bK1\r\n"
    "From: <sip:um01.contoso.com>;tag=1\r\nTo: <sip:lync01.contoso.com>;tag=2\r\n"
    "Call-ID: relay-test-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

struct Relay {
    TempDir dir;
    std::uint16_t upstream_port = free_port(), listen_port = free_port();

    Relay() { make_pki(dir); }
    std::string listen() const { return "127.0.0.1:" + std::to_string(listen_port); }

    // s_server presenting lync.pem, requiring and verifying a client certificate.
    std::string server_command(const std::string& stdin_file) const {
        return "{ cat " + stdin_file + "; sleep 30; } | exec openssl s_server -quiet -accept 127.0.0.1:" +
               std::to_string(upstream_port) + " -cert " + dir / "lync.pem" + " -key " + dir / "lync.key" +
               " -Verify 1 -CAfile " + dir / "ca.pem" + " > " + dir / "srv_out" + " 2> " + dir / "srv_err";
    }
    std::string siptap_command() const {
        return std::string(SIPTAP_BINARY) + " proxy --json --listen " + listen() + " --upstream 127.0.0.1:" +
               std::to_string(upstream_port) + " --cert " + dir / "siptap.pem" + " --key " + dir / "siptap.key" +
               " --upstream-cert " + dir / "um.pem" + " --upstream-key " + dir / "um.key" + " > " +
               dir / "events.jsonl" + " 2> " + dir / "siptap_err";
    }
    std::string client_command(const std::string& stdin_file, const std::string& cert) const {
        return "{ cat " + stdin_file + "; sleep 30; } | exec openssl s_client -quiet -connect " + listen() +
               " -cert " + dir / (cert + ".pem") + " -key " + dir / (cert + ".key") + " > " + dir / "cli_out" +
               " 2> " + dir / "cli_err";
    }
    bool listening(std::uint16_t port) const {
        return wait_listening(port, 5s);
    }
    void write(const std::string& name, const std::string& data) const {
        std::ofstream(dir / name, std::ios::binary) << data;
    }
};

std::vector<nlohmann::json> of_type(const std::vector<nlohmann::json>& events, const std::string& type,
                                    const std::string& conn_dst = "") {
    std::vector<nlohmann::json> out;
    for (const auto& e : events)
        if (e["event"] == type && (conn_dst.empty() || e["conn"] == std::stoi(conn_dst))) out.push_back(e);
    return out;
}

}  // namespace

TEST_CASE("[proxy] relays SIP over mutual TLS and reports both legs", "[proxy]") {
    Relay r;
    r.write("srv_in", kOk);
    r.write("cli_in", kOptions);
    Spawned server(r.server_command(r.dir / "srv_in"));
    REQUIRE(r.listening(r.upstream_port));
    Spawned siptap(r.siptap_command());
    REQUIRE(r.listening(r.listen_port));
    Spawned client(r.client_command(r.dir / "cli_in", "um"));

    REQUIRE(wait_until([&] { return file_size(r.dir / "srv_out") >= kOptions.size() &&
                                    file_size(r.dir / "cli_out") >= kOk.size(); }, 10s));
    CHECK(read_file(r.dir / "srv_out") == kOptions);
    CHECK(read_file(r.dir / "cli_out") == kOk);

    client.kill(SIGKILL);  // the client's kernel closes with a bare FIN, no close_notify
    REQUIRE(wait_until([&] { return of_type(read_events(r.dir / "events.jsonl"), "conn_close").size() == 2; }, 10s));
    const auto events = read_events(r.dir / "events.jsonl");

    // Which conn is which leg: the client leg's dst is siptap's listen address.
    std::uint64_t client_leg = 0, upstream_leg = 0;
    std::string upstream_src;
    for (const auto& e : of_type(events, "conn_open")) {
        if (e["dst"] == r.listen()) client_leg = e["conn"];
        if (e["dst"] == "127.0.0.1:" + std::to_string(r.upstream_port)) {
            upstream_leg = e["conn"];
            upstream_src = e["src"];
        }
    }
    REQUIRE(client_leg != 0);
    REQUIRE(upstream_leg != 0);
    CHECK(upstream_src.rfind("127.0.0.1:", 0) == 0);

    auto cns = [&](std::uint64_t conn, const std::string& side) {
        std::vector<std::string> out;
        for (const auto& e : events)
            if (e["event"] == "certificate" && e["conn"] == conn && e["side"] == side && e["index"] == 0)
                out.push_back(e["subject_cn"]);
        return out;
    };
    CHECK(cns(client_leg, "server") == std::vector<std::string>{"siptap.test"});
    CHECK(cns(client_leg, "client") == std::vector<std::string>{"um01.contoso.com"});
    CHECK(cns(upstream_leg, "server") == std::vector<std::string>{"lync01.contoso.com"});
    CHECK(cns(upstream_leg, "client") == std::vector<std::string>{"um01.contoso.com"});

    for (auto leg : {client_leg, upstream_leg}) {
        CAPTURE(leg);
        int requests = 0, responses = 0;
        for (const auto& e : events) {
            if (e["event"] != "sip" || e["conn"] != leg) continue;
            if (e["kind"] == "request" && e["method"] == "OPTIONS") ++requests;
            if (e["kind"] == "response" && e["status"] == 200) ++responses;
        }
        CHECK(requests == 1);
        CHECK(responses == 1);
        bool closed = false;
        for (const auto& e : of_type(events, "conn_close"))
            if (e["conn"] == leg) {
                closed = true;
                CHECK(e["how"] == "fin");
                CHECK(e["side"] == "client");
            }
        CHECK(closed);
        for (const auto& e : of_type(events, "tls_alert"))  // a bare FIN stays a bare FIN
            if (e["conn"] == leg) CHECK(e["description"] != "close_notify");
    }
}

TEST_CASE("[proxy] relays several megabytes each way at once, byte for byte", "[proxy]") {
    Relay r;
    std::mt19937_64 rng(5061);
    auto make = [&](const std::string& name) {
        std::string data;
        static const char* hex = "0123456789abcdef";
        while (data.size() < 4u << 20) {
            for (int i = 0; i < 80; ++i) data += hex[rng() & 15];
            data += '\n';
        }
        r.write(name, data);
    };
    make("srv_in");
    make("cli_in");
    Spawned server(r.server_command(r.dir / "srv_in"));
    REQUIRE(r.listening(r.upstream_port));
    Spawned siptap(r.siptap_command());
    REQUIRE(r.listening(r.listen_port));
    Spawned client(r.client_command(r.dir / "cli_in", "um"));

    const auto size = file_size(r.dir / "cli_in");
    wait_until([&] { return file_size(r.dir / "srv_out") >= size && file_size(r.dir / "cli_out") >= size; }, 20s);
    CHECK(file_size(r.dir / "srv_out") == size);
    CHECK(file_size(r.dir / "cli_out") == size);
    CHECK(sha256_of_file(r.dir / "srv_out") == sha256_of_file(r.dir / "cli_in"));
    CHECK(sha256_of_file(r.dir / "cli_out") == sha256_of_file(r.dir / "srv_in"));
}
