// TLS 1.2 session resumption through the relay (proxy/resumption_mirror.hpp), with openssl
// s_server and s_client on loopback: each case runs directly and through siptap, and both
// peers must see the same: the client "New" then "Reused" (s_client's summary line), the
// server a resumed handshake ("Reused session-id"), by ticket or by session id (Schannel's
// way), with forged or given certificates; and when the upstream declines, a full handshake on
// both legs, never an error.
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <regex>

#include "fidelity_support.hpp"

using namespace proxy_test;

namespace {

// openssl s_server, TLS 1.2 only, asking for the client's certificate; `accepts` connections
// on 127.0.0.1:port; what it prints goes to `out`.
std::unique_ptr<Spawned> s_server(std::uint16_t port, int accepts, const std::string& opts, const std::string& out) {
    const auto& pki = legacy_pki();
    auto server = std::make_unique<Spawned>(
        "sleep 30 | exec timeout 30 openssl s_server -accept 127.0.0.1:" + std::to_string(port) + " -naccept " +
        std::to_string(accepts) + " -tls1_2 -cert " + pki / "srv.pem" + " -key " + pki / "srv.key" + " -CAfile " +
        pki / "trust.pem" + " -Verify 1 -verify_return_error " + opts + " > " + out + " 2>&1");
    if (!wait_listening(port, 10s)) FAIL("openssl s_server did not start: " + read_file(out));
    return server;
}

// "New TLSv1.2 <cipher>" or "Reused TLSv1.2 <cipher>" from s_client's summary line; its
// whole output when it printed none.
std::string summary(const std::string& s_client_output) {
    static const std::regex line("(New|Reused), (TLSv[0-9.]+|\\(NONE\\)), Cipher is ([A-Za-z0-9_()-]+)");
    std::smatch m;
    if (!std::regex_search(s_client_output, m, line)) return s_client_output;
    return m[1].str() + " " + m[2].str() + " " + m[3].str();
}

// One s_client connection (stdin closed: it ends after the handshake).
std::string s_client(const std::string& target, const std::string& session, const std::string& opts) {
    const auto& pki = legacy_pki();
    return summary(command_output("timeout 20 openssl s_client -connect " + target +
                                  " -servername lync01.contoso.com -cert " + pki / "cli.pem" + " -key " +
                                  pki / "cli.key" + " -CAfile " + pki / "trust.pem" + " -verify_return_error " +
                                  session + " " + opts + " < /dev/null 2>&1"));
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

// Waits (bounded) until s_server has closed `n` connections. Its process outlives them: the
// `sleep` that holds its stdin open keeps the shell waiting.
void served(const std::string& out, std::size_t n) {
    wait_until([&] { return count_of(read_file(out), "CONNECTION CLOSED") >= n; }, 10s);
}

struct Run {
    std::vector<std::string> client;  // summary() per connection
    std::size_t server_resumed = 0;   // handshakes the server (or servers) resumed
    bool session_saved = false;       // the first connection left the client a session to offer
    std::vector<nlohmann::json> events;
    std::string listen, upstream;
};

// Two s_client connections, the second offering the first one's session; with `relay_opts`
// through siptap. `restart`: the server is a new process for the second connection (its
// sessions and ticket keys are gone), so it declines the resumption.
Run two_connections(const std::string& server_opts, const std::string& client_opts,
                    const std::optional<std::string>& relay_opts, bool restart = false) {
    TempDir dir;
    const std::uint16_t port = free_port();
    auto server = s_server(port, restart ? 1 : 2, server_opts, dir / "server1.out");
    Run run;
    run.upstream = "127.0.0.1:" + std::to_string(port);
    std::unique_ptr<SiptapProxy> siptap;
    if (relay_opts) siptap = std::make_unique<SiptapProxy>(dir, run.upstream, *relay_opts);
    const std::string target = siptap ? (run.listen = siptap->address()) : run.upstream;
    run.client.push_back(s_client(target, "-sess_out " + dir / "session.pem", client_opts));
    if (restart) {
        served(dir / "server1.out", 1);
        wait_until([&] { return !wait_listening(port, 0ms); }, 10s);  // the port is free again
        server = s_server(port, 1, server_opts, dir / "server2.out");
    }
    // s_client saves no session that cannot be resumed (no id, no ticket): nothing to offer.
    const bool saved = std::filesystem::exists(dir / "session.pem");
    run.client.push_back(s_client(target, saved ? "-sess_in " + dir / "session.pem" : "", client_opts));
    run.session_saved = saved;
    served(dir / (restart ? "server2.out" : "server1.out"), restart ? 1 : 2);
    for (const char* out : {"server1.out", "server2.out"}) run.server_resumed += count_of(read_file(dir / out), "Reused session-id");
    if (siptap) run.events = siptap->wait_closes(4, 5s);
    return run;
}

std::string forged() { return forge_opts() + " --trust " + legacy_pki() / "root.pem"; }

std::string given() {
    const auto& pki = legacy_pki();
    return "--cert " + pki / "srv.pem" + " --key " + pki / "srv.key" + " --upstream-cert " + pki / "cli.pem" +
           " --upstream-key " + pki / "cli.key";
}

// The upstream legs' conn ids, in order.
std::vector<std::uint64_t> upstream_legs(const Run& run) {
    std::vector<std::uint64_t> out;
    for (const auto& e : run.events)
        if (e["event"] == "conn_open" && e["dst"] == run.upstream) out.push_back(e["conn"]);
    return out;
}

struct Row {
    const char* name;
    std::string server, client;  // s_server / s_client options
};

}  // namespace

TEST_CASE("[proxy] resumption: a client resuming through siptap resumes the upstream's session too",
          "[proxy][resumption][slow]") {
    const auto row = GENERATE(values<Row>({
        {"ticket", "", ""},
        {"session id: the server issues no tickets (Schannel)", "-no_ticket", ""},
        {"session id: the client takes no tickets", "", "-no_ticket"},
    }));
    const bool forge = GENERATE(true, false);
    CAPTURE(row.name, forge);
    const Run direct = two_connections(row.server, row.client, std::nullopt);
    const Run relayed = two_connections(row.server, row.client, forge ? forged() : given());
    REQUIRE(direct.client.size() == 2);
    CHECK(direct.client[0].rfind("New TLSv1.2 ", 0) == 0);  // the pair resumes directly
    CHECK(direct.client[1] == "Reused" + direct.client[0].substr(3));
    CHECK(direct.server_resumed == 1);
    CHECK(relayed.client == direct.client);  // and so it does through siptap
    CHECK(relayed.server_resumed == 1);      // the upstream saw an abbreviated handshake
    CHECK(notices(relayed.events, "relay-error").empty());
    CHECK(notices(relayed.events, "relay-resume") ==
          std::vector<std::string>{"resumed the upstream's session that matches the one the client offered"});
    const auto legs = upstream_legs(relayed);
    REQUIRE(legs.size() == 2);
    CHECK(leaf_cns(relayed.events, legs[0], "server").size() == 1);
    CHECK(leaf_cns(relayed.events, legs[1], "server").empty());  // no Certificate: abbreviated
}

TEST_CASE("[proxy] resumption: an upstream that declines gives both legs a full handshake, not an error",
          "[proxy][resumption][slow]") {
    const std::string server_opts = GENERATE(as<std::string>{}, "", "-no_ticket");
    CAPTURE(server_opts);
    const Run direct = two_connections(server_opts, "", std::nullopt, true);
    const Run relayed = two_connections(server_opts, "", forged(), true);
    REQUIRE(direct.client.size() == 2);
    CHECK(direct.client[1] == direct.client[0]);  // "New" twice
    CHECK(direct.client[1].rfind("New TLSv1.2 ", 0) == 0);
    CHECK(direct.server_resumed == 0);
    CHECK(relayed.client == direct.client);
    CHECK(relayed.server_resumed == 0);
    CHECK(notices(relayed.events, "relay-error").empty());
    const auto resume = notices(relayed.events, "relay-resume");
    REQUIRE(resume.size() == 1);
    CHECK(resume[0].rfind("could not resume: the upstream declined its session", 0) == 0);
}

TEST_CASE("[proxy] resumption: an upstream that keeps no sessions leaves the client none to resume",
          "[proxy][resumption][slow]") {
    // s_server -no_cache -no_ticket answers with an empty session id and no ticket: directly
    // the client has nothing to resume, and through siptap it is given nothing either.
    const Run direct = two_connections("-no_cache -no_ticket", "", std::nullopt);
    const Run relayed = two_connections("-no_cache -no_ticket", "", forged());
    REQUIRE(direct.client.size() == 2);
    CHECK(direct.client[1] == direct.client[0]);
    CHECK(direct.client[1].rfind("New TLSv1.2 ", 0) == 0);
    CHECK_FALSE(direct.session_saved);
    CHECK(relayed.client == direct.client);
    CHECK(relayed.session_saved == direct.session_saved);
    CHECK(relayed.server_resumed == 0);
    CHECK(notices(relayed.events, "relay-error").empty());
    CHECK(notices(relayed.events, "relay-resume").empty());
}
