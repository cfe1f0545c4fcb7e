// `siptap live`: sniffs lo while two sockets of this test talk SIP over TCP on 127.0.0.1, on
// a port the test chose, then stops it with SIGINT as Ctrl-C would. Needs root (CAP_NET_RAW):
// without it the test fails (SIPTAP_ALLOW_SKIP=root skips it). Bounded: siptap gets --duration, the test kills
// it after a deadline. A burst of UDP SIP that siptap had no CPU for before Ctrl-C shows that
// it still decodes the frames the kernel had already captured.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "udp_receiver_support.hpp"
#include "requirement_support.hpp"
#include "views_support.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

int listen_loopback(std::uint16_t& port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(listen(fd, 4) == 0);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return fd;
}

int connect_loopback(std::uint16_t port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    return fd;
}

void send_all(int fd, const std::string& s) { REQUIRE(send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size())); }

std::string sip_options(int cseq, const std::string& transport = "TCP", std::size_t body = 0) {
    const std::string c = std::to_string(cseq);
    return "OPTIONS sip:lync01.contoso.com:5061;transport=" + transport + " SIP/2.0\r\nVIA: SIP/2.0/" + transport +
           " 127.0.0.1;branch=z9hG4bK" + c + "\r\nFROM: <sip:exch01.contoso.com>;tag=" + c +
           "\r\nTO: <sip:lync01.contoso.com>\r\nCALL-ID: live-test-" + c + "\r\nCSEQ: " + c +
           " OPTIONS\r\nMAX-FORWARDS: 70\r\nCONTENT-LENGTH: " + std::to_string(body) + "\r\n\r\n" +
           std::string(body, 'x');
}

std::string read_some(int fd) {
    char buf[4096];
    const auto n = recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// Waits for the child; after the deadline kills it and reports -1.
int wait_bounded(pid_t pid, std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    int status = 0;
    while (Clock::now() < deadline) {
        if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

// Stops the child with SIGSTOP and waits (bounded) until it is stopped.
bool hold(pid_t pid) {
    kill(pid, SIGSTOP);
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    int status = 0;
    while (Clock::now() < deadline) {
        if (waitpid(pid, &status, WUNTRACED | WNOHANG) == pid && WIFSTOPPED(status)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

struct LiveRun {
    pid_t pid = 0;
    std::string out, err;  // files with siptap's stdout and stderr
};

// Starts `siptap live -i lo --duration 20 <options> '<filter>'` with its output in
// <artifacts>/<name>.out and .err, and waits (bounded) until it says it is capturing.
LiveRun start_live(const std::string& name, const std::string& options, const std::string& filter) {
    const auto dir = views_test::artifact_dir();
    LiveRun run{0, dir + "/" + name + ".out", dir + "/" + name + ".err"};
    // A previous run's "capturing on lo" must not be mistaken for this run's: the shell
    // truncates the files only once it runs, which on a loaded machine is after the poll below.
    std::remove(run.out.c_str());
    std::remove(run.err.c_str());
    const std::string command = "exec env COLUMNS=120 " + views_test::quote(SIPTAP_BINARY) + " live -i lo --duration 20 " +
                                options + " " + views_test::quote(filter) + " >" + views_test::quote(run.out) +
                                " 2>" + views_test::quote(run.err);
    std::vector<char*> argv{const_cast<char*>("/bin/sh"), const_cast<char*>("-c"), const_cast<char*>(command.c_str()),
                            nullptr};
    REQUIRE(posix_spawn(&run.pid, "/bin/sh", nullptr, nullptr, argv.data(), environ) == 0);
    const auto ready_by = Clock::now() + std::chrono::seconds(10);
    while (views_test::slurp(run.err).find("capturing on lo") == std::string::npos && Clock::now() < ready_by)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(views_test::slurp(run.err).find("capturing on lo") != std::string::npos);
    return run;
}

}  // namespace

TEST_CASE("[live] sniffing lo shows a SIP exchange, Ctrl-C ends with the diagrams", "[live][slow]") {
    test::require_available("root", geteuid() == 0, "live capture needs root (CAP_NET_RAW)");
    std::uint16_t port = 0;
    const int listener = listen_loopback(port);
    const auto live = start_live("live", "--ladder --no-color", "tcp port " + std::to_string(port));
    const pid_t pid = live.pid;

    // Connection 1: OPTIONS answered with 200 OK, then the client closes.
    const int client = connect_loopback(port);
    const int server = accept(listener, nullptr, nullptr);
    send_all(client, sip_options(1));
    CHECK(read_some(server).find("OPTIONS") == 0);
    send_all(server, "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:exch01.contoso.com>;tag=1"
                     "\r\nTo: <sip:lync01.contoso.com>;tag=9\r\nCall-ID: live-test-1\r\nCSeq: 1 OPTIONS\r\n"
                     "Content-Length: 0\r\n\r\n");
    CHECK(read_some(client).find("SIP/2.0 200 OK") == 0);
    close(client);
    close(server);
    // Connection 2: an OPTIONS nobody answers, still open when Ctrl-C comes.
    const int client2 = connect_loopback(port);
    const int server2 = accept(listener, nullptr, nullptr);
    send_all(client2, sip_options(2));
    CHECK(read_some(server2).find("OPTIONS") == 0);
    // Ctrl-C once siptap has decoded the unanswered OPTIONS (bounded), not after a guessed sleep.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (views_test::slurp(live.out).find("-- OPTIONS 2 --") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    kill(pid, SIGINT);
    const int rc = wait_bounded(pid, std::chrono::seconds(15));
    close(client2);
    close(server2);
    close(listener);

    const auto text = views_test::slurp(live.out), log = views_test::slurp(live.err);
    CAPTURE(text, log);
    CHECK((rc == 0 || rc == 1));  // stopped by SIGINT, not killed
    CHECK(text.find("-- OPTIONS 1 --") != std::string::npos);
    CHECK(text.find("200 OK (1 OPTIONS)") != std::string::npos);
    CHECK(text.find("-- OPTIONS 2 --") != std::string::npos);
    CHECK(text.find("capture end") != std::string::npos);  // connection 2, ended by Ctrl-C
    CHECK(text.find(":" + std::to_string(port)) != std::string::npos);
    CHECK(log.find("packets captured on lo") != std::string::npos);
}

TEST_CASE("[live] Ctrl-C before siptap read a burst: what the kernel already captured is still decoded", "[live]") {
    test::require_available("root", geteuid() == 0, "live capture needs root (CAP_NET_RAW)");
    // The burst goes to a bound socket of ours, so the port is ours and no ICMP answers it.
    const UdpReceiver receiver;
    sockaddr_in a = receiver.address();
    const auto live = start_live("live-drain", "--json", "udp port " + std::to_string(receiver.port));

    // 2000 frames: more than a ring of fixed 64 KiB slots on lo holds (256), so the ring must
    // pack frames by size. siptap is held (SIGSTOP) while the burst goes out and Ctrl-C comes,
    // as on a loaded machine where it did not get the CPU in time: every frame is then still in the kernel's ring when
    // the stop flag is seen, and only the drain decodes them. (Without the hold the test could
    // not fail: sending on lo puts each frame in the ring before send() returns, and
    // pcap_dispatch reads every frame present, so a running siptap is never behind.)
    constexpr int kBurst = 2000;
    std::vector<std::string> messages;
    for (int i = 1; i <= kBurst; ++i) messages.push_back(sip_options(i, "UDP", 1000));
    const int sender = socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(connect(sender, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    if (!hold(live.pid)) {
        kill(live.pid, SIGKILL);
        waitpid(live.pid, nullptr, 0);
        FAIL("siptap could not be held with SIGSTOP");
    }
    int sent = 0;
    for (const auto& m : messages) sent += send(sender, m.data(), m.size(), 0) == static_cast<ssize_t>(m.size());
    kill(live.pid, SIGINT);
    kill(live.pid, SIGCONT);
    const int rc = wait_bounded(live.pid, std::chrono::seconds(15));
    close(sender);

    std::set<std::string> decoded;
    std::istringstream lines(views_test::slurp(live.out));
    for (std::string line; std::getline(lines, line);) {
        const auto e = nlohmann::json::parse(line, nullptr, false);
        if (!e.is_discarded() && e.value("event", "") == "sip") decoded.insert(e.value("call_id", ""));
    }
    const auto log = views_test::slurp(live.err);
    CAPTURE(log);
    CHECK(sent == kBurst);
    CHECK((rc == 0 || rc == 1));  // stopped by SIGINT, not killed
    CHECK(log.find("dropped by the kernel") == std::string::npos);
    CHECK(decoded.size() == static_cast<std::size_t>(kBurst));
    CHECK(decoded.count("live-test-1") == 1);
    CHECK(decoded.count("live-test-" + std::to_string(kBurst)) == 1);
}

TEST_CASE("[live] bad interface or capture filter: a clear message and exit code 2", "[live]") {
    auto run = views_test::run(views_test::quote(SIPTAP_BINARY) + " live -i nosuchif0 --duration 1 2>&1", 30);
    CHECK(run.exit_code == 2);
    CHECK((run.out.find("nosuchif0") != std::string::npos));
    // The filter is compiled only once the capture is allowed.
    test::require_available("root", geteuid() == 0, "a capture filter is checked only with root (CAP_NET_RAW)");
    run = views_test::run(views_test::quote(SIPTAP_BINARY) + " live -i lo --duration 1 'port nonsense' 2>&1", 30);
    CHECK(run.exit_code == 2);
    CHECK(run.out.find("capture filter 'port nonsense'") != std::string::npos);
}

TEST_CASE("[live] --rsa-key decrypts an RSA key exchange session as it is sniffed", "[live]") {
    test::require_available("root", geteuid() == 0, "live capture needs root (CAP_NET_RAW)");
    std::uint16_t port = 0;
    close(listen_loopback(port));  // a free port for openssl s_server
    const std::string pki = std::string(SIPTAP_PCAP_DIR) + "/tls-pki/";
    const auto live = start_live("live-rsa", "--json --rsa-key " + views_test::quote(pki + "lync01.key"),
                                 "tcp port " + std::to_string(port));
    const std::string p = std::to_string(port);
    // A real TLS 1.2 server and client with RSA key exchange (no key log anywhere), both bounded.
    // s_server closes the connection at EOF on its stdin: keep that open while the client talks.
    const std::string server = "(sleep 4 | timeout 15 openssl s_server -quiet -accept 127.0.0.1:" + p + " -cert " +
                               views_test::quote(pki + "lync01.pem") + " -key " + views_test::quote(pki + "lync01.key") +
                               " -cipher AES128-SHA -tls1_2 -naccept 1 >/dev/null 2>&1) &";
    std::string request = sip_options(7, "TLS");
    const std::string client = "sleep 1; (printf '%s' " + views_test::quote(request) +
                               "; sleep 1) | timeout 10 openssl s_client -quiet -connect 127.0.0.1:" + p +
                               " -cipher AES128-SHA -tls1_2 >/dev/null 2>&1; wait";
    REQUIRE(std::system((server + " " + client).c_str()) == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    kill(live.pid, SIGINT);
    const int rc = wait_bounded(live.pid, std::chrono::seconds(15));
    const auto out = views_test::slurp(live.out);
    CHECK((rc == 0 || rc == 1));
    CHECK(out.find("\"cipher\":\"TLS_RSA_WITH_AES_128_CBC_SHA\"") != std::string::npos);
    CHECK(out.find("\"call_id\":\"live-test-7\"") != std::string::npos);
    CHECK(out.find("\"event\":\"notice\"") == std::string::npos);
}

// A healthy TLS connection seen without keys: OPTIONS answered, the client's close_notify
// (TLS 1.3: a 19-byte application_data record), then the server's FIN first. The client's
// alert is the first teardown act; no side may be blamed for an unanswered request.
TEST_CASE("[live] a healthy TLS connection without keys: the client's encrypted alert ends it, no error", "[live]") {
    test::require_available("root", geteuid() == 0, "live capture needs root (CAP_NET_RAW)");
    test::require_available("python3", test::on_path("python3"), "apt-get install python3");
    const std::string version = GENERATE(std::string("1.2"), std::string("1.3"));
    CAPTURE(version);
    const auto dir = views_test::artifact_dir();
    const std::string stem = dir + "/live-goodbye-" + version, go = stem + ".go", port_file = stem + ".port";
    std::remove(go.c_str());
    std::remove(port_file.c_str());
    // The peers listen on port 0, say which port they got, and start once siptap captures it.
    const std::string peers = "exec python3 " + views_test::quote(std::string(SIPTAP_SOURCE_DIR) + "/tests/cli/tls_goodbye_peers.py") +
                              " " + version + " " + views_test::quote(std::string(SIPTAP_PCAP_DIR) + "/tls-pki") + " " +
                              views_test::quote(go) + " >" + views_test::quote(port_file);
    std::vector<char*> argv{const_cast<char*>("/bin/sh"), const_cast<char*>("-c"), const_cast<char*>(peers.c_str()), nullptr};
    pid_t peers_pid = 0;
    REQUIRE(posix_spawn(&peers_pid, "/bin/sh", nullptr, nullptr, argv.data(), environ) == 0);
    const auto port_by = Clock::now() + std::chrono::seconds(10);
    while (views_test::slurp(port_file).find('\n') == std::string::npos && Clock::now() < port_by)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::string port = views_test::slurp(port_file).substr(0, views_test::slurp(port_file).find('\n'));
    REQUIRE(!port.empty());

    const auto live = start_live("live-goodbye-" + version, "--json", "tcp port " + port);
    std::fclose(std::fopen(go.c_str(), "w"));
    CHECK(wait_bounded(peers_pid, std::chrono::seconds(30)) == 0);
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (views_test::slurp(live.out).find("\"conn_close\"") == std::string::npos && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    kill(live.pid, SIGINT);
    const int rc = wait_bounded(live.pid, std::chrono::seconds(15));

    const auto out = views_test::slurp(live.out);
    CAPTURE(out, views_test::slurp(live.err));
    CHECK(rc == 0);  // no error finding
    bool closed = false;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        const auto j = nlohmann::json::parse(line);
        CHECK(j["event"] != "finding");
        if (j["event"] != "conn_close") continue;
        closed = true;
        CHECK(j["side"] == "client");
        CHECK(j["how"] == "alert");
        CHECK(j["alert"] == "encrypted alert (probably close_notify)");
        CHECK(j["after_from"] == "server");
    }
    CHECK(closed);
}
