// TLS 1.2 renegotiation through the relay, with openssl s_server and s_client on loopback
// driven through FIFOs ('r' to s_server renegotiates from the server, 'R' to s_client from the
// client): siptap refuses it on the leg where it is asked, with a no_renegotiation warning
// alert, as a peer that does not renegotiate does (README, proxy), and never relays it to the
// other peer; the decoder shows the request and the alert, and calls nothing malformed.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fidelity_support.hpp"

using namespace proxy_test;

namespace {

// The write end of a FIFO that a spawned peer reads as its stdin (opened once the peer has
// opened the read end, so the open does not block for long).
class FifoWriter {
public:
    explicit FifoWriter(const std::string& path) : fd_(::open(path.c_str(), O_WRONLY)) {}
    ~FifoWriter() {
        if (fd_ >= 0) ::close(fd_);
    }
    FifoWriter(const FifoWriter&) = delete;
    FifoWriter& operator=(const FifoWriter&) = delete;
    void line(const std::string& text) { CHECK(::write(fd_, (text + "\n").data(), text.size() + 1) > 0); }

private:
    int fd_;
};

std::vector<std::string> alerts_on(const std::vector<nlohmann::json>& events, std::uint64_t conn) {
    std::vector<std::string> out;
    for (const auto& e : events_of(events, "tls_alert", conn))
        out.push_back(e["level"].get<std::string>() + " " + e["description"].get<std::string>() + " to " +
                      e["dst"].get<std::string>());
    return out;
}

std::size_t count_tls(const std::vector<nlohmann::json>& events, std::uint64_t conn, const std::string& type) {
    std::size_t n = 0;
    for (const auto& e : events_of(events, "tls", conn)) n += e["type"] == type;
    return n;
}

}  // namespace

TEST_CASE("[proxy] renegotiation: siptap refuses it with no_renegotiation on the leg that asks",
          "[proxy][renegotiation][slow]") {
    const bool by_server = GENERATE(true, false);
    CAPTURE(by_server);
    const auto& pki = legacy_pki();
    TempDir dir;
    for (const char* f : {"server.in", "client.in"}) REQUIRE(::mkfifo((dir / f).c_str(), 0600) == 0);
    const std::uint16_t port = free_port();
    const std::string upstream = "127.0.0.1:" + std::to_string(port);
    Spawned server("exec timeout 30 openssl s_server -accept " + upstream + " -naccept 1 -tls1_2 -cert " +
                   pki / "srv.pem" + " -key " + pki / "srv.key" + " -CAfile " + pki / "trust.pem" +
                   " -Verify 1 < " + dir / "server.in" + " > " + dir / "server.out" + " 2>&1");
    FifoWriter to_server(dir / "server.in");
    REQUIRE(wait_listening(port, 10s));
    SiptapProxy siptap(dir, upstream, forge_opts() + " --trust " + pki / "root.pem");
    Spawned client("exec timeout 30 openssl s_client -connect " + siptap.address() + " -cert " + pki / "cli.pem" +
                   " -key " + pki / "cli.key" + " -CAfile " + pki / "trust.pem" + " < " + dir / "client.in" + " > " +
                   dir / "client.out" + " 2>&1");
    FifoWriter to_client(dir / "client.in");
    REQUIRE(wait_until([&] { return read_file(dir / "client.out").find("Verify return code") != std::string::npos; },
                       10s));
    if (by_server) to_server.line("r");
    else to_client.line("R");
    auto refused = [&] {
        for (const auto& e : siptap.events())
            if (e["event"] == "tls_alert" && e["description"] == "no_renegotiation") return true;
        return false;
    };
    REQUIRE(wait_until(refused, 10s));
    const auto events = siptap.events();
    const Legs legs = find_legs(events, siptap.address(), upstream);
    if (by_server) {  // the upstream asked; the client never sees a HelloRequest
        CHECK(count_tls(events, legs.upstream, "hello_request") == 1);
        CHECK(alerts_on(events, legs.upstream).at(0) == "warning no_renegotiation to " + upstream);
        CHECK(count_tls(events, legs.client, "hello_request") == 0);
    } else {  // the client asked; the upstream never sees a second ClientHello
        CHECK(alerts_on(events, legs.client).at(0).rfind("warning no_renegotiation to 127.0.0.1:", 0) == 0);
        CHECK(count_tls(events, legs.upstream, "client_hello") == 1);
    }
    for (const auto& text : notices(events, "tls-error")) CHECK(text.find("malformed") == std::string::npos);
    CHECK(notices(events, "relay-error").empty());
}
