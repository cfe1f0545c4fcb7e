// The relay's error paths, seen from outside a real `siptap proxy`: evidence files that cannot
// be written (/dev/full), stdout that cannot be written, no descriptor left to accept with
// (a low RLIMIT_NOFILE set on the running process), a reader of stdout that does not read
// while a bulk transfer runs, and --ca-file read once at start-up. In each, the SIP session
// itself must go on and the failure must show: a notice, and where evidence is lost, exit 2.
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <set>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "kamailio_support.hpp"
#include "process_support.hpp"
#include "proxy/event_outbox.hpp"
#include "siptap_support.hpp"

using namespace proxy_test;
using json = nlohmann::json;

namespace {

const std::string kOptions =
    "OPTIONS sip:lync01.contoso.com;transport=tls SIP/2.0\r\n"
    "Via: SIP/2.0/TLS um01.contoso.com:5061;branch=z9hG4bK-err-1\r\n"
    "From: <sip:um01.contoso.com>;tag=1\r\nTo: <sip:lync01.contoso.com>\r\n"
    "Call-ID: relay-errors-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

// A plain SIP upstream for any number of connections: answers each OPTIONS with 200 OK, and
// when a connection ends appends the bytes it received on it to argv[2].
const char* kResponder = R"(import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64); s.settimeout(120)
def serve(c):
    c.settimeout(60); buf = b""; total = 0
    while True:
        d = c.recv(1 << 20)
        if not d: break
        total += len(d); buf += d
        while True:
            head, sep, rest = buf.partition(b"\r\n\r\n")
            if not sep: break
            length = 0
            for line in head.split(b"\r\n"):
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length": length = int(v)
            if len(rest) < length: break
            buf = rest[length:]
            if head.startswith(b"OPTIONS"): c.sendall(b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n")
    with open(sys.argv[2], "a") as f: f.write("%d\n" % total)
    c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
)";

struct Responder {
    std::uint16_t port = free_port();
    std::string received;  // one line per ended connection: the bytes it carried
    Spawned process;
    explicit Responder(const TempDir& dir) : received(dir / "received"), process(command(dir, port, received)) {
        REQUIRE(wait_listening(port, 5s));
    }
    std::string address() const { return "127.0.0.1:" + std::to_string(port); }

private:
    static std::string command(const TempDir& dir, std::uint16_t port, const std::string& received) {
        std::ofstream(dir / "responder.py") << kResponder;
        return "exec timeout 120 python3 " + dir / "responder.py" + " " + std::to_string(port) + " " + received;
    }
};

// Whether `fd` becomes readable within `timeout`.
bool readable_within(int fd, std::chrono::milliseconds timeout) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

// Sends OPTIONS on a plain connection through the relay; true when 200 OK comes back in time.
bool options_answered(int fd, std::chrono::milliseconds timeout = 5s) {
    if (::send(fd, kOptions.data(), kOptions.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(kOptions.size()))
        return false;
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (got.find("\r\n\r\n") == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left <= 0ms || !readable_within(fd, left)) return false;
        char buf[4096];
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return false;
        got.append(buf, static_cast<std::size_t>(n));
    }
    return got.rfind("SIP/2.0 200 OK\r\n", 0) == 0;
}

std::vector<json> notices(const std::vector<json>& events, const std::string& what, const std::string& text) {
    std::vector<json> out;
    for (const auto& e : events)
        if (e["event"] == "notice" && e["what"] == what && e["message"].get<std::string>().find(text) != std::string::npos)
            out.push_back(e);
    return out;
}

int lowest_free_fd(pid_t pid) {
    std::set<int> used;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
        used.insert(std::stoi(entry.path().filename().string()));
    int fd = 0;
    while (used.count(fd)) ++fd;
    return fd;
}

int exit_code(Spawned& process) {
    process.kill(SIGTERM);
    if (!process.wait_exit(10s)) return -1;
    const int status = process.wait_status();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A throwaway PKI, the OPTIONS request in `request`, and Kamailio as Lync trusting client
// certificates by `client_ca` ("ca", or "forgeca" when siptap forges them).
struct LyncPeer {
    std::string request;
    Kamailio lync;
    LyncPeer(const TempDir& dir, const std::string& client_ca)
        : request(prepare(dir)),
          lync(dir, KamailioSetup{"um01.contoso.com", dir / (client_ca + ".pem"), dir / "lync.pem", dir / "lync.key"}) {}
    // siptap's own certificates towards both peers.
    static std::string given_certs(const TempDir& dir) {
        return "--cert " + dir / "siptap.pem" + " --key " + dir / "siptap.key" + " --upstream-cert " + dir / "um.pem" +
               " --upstream-key " + dir / "um.key";
    }

private:
    static std::string prepare(const TempDir& dir) {
        make_pki(dir);
        std::ofstream(dir / "options.sip", std::ios::binary) << kOptions;
        return dir / "options.sip";
    }
};

}  // namespace

TEST_CASE("[proxy] an evidence file that cannot be written: the session goes on, a notice per leg, exit 2",
          "[proxy][errors][slow]") {
    const std::string option = GENERATE("--keylog", "--capture", "--write-pcap");
    CAPTURE(option);
    TempDir dir;
    const LyncPeer peer(dir, "ca");
    const auto& lync = peer.lync;
    SiptapProxy siptap(dir, lync.address(), LyncPeer::given_certs(dir) + " " + option + " /dev/full");

    const auto got = run_sip_client(dir, siptap.address(), "um", peer.request);
    CHECK(got["received"].get<std::string>().rfind("SIP/2.0 200 OK\r\n", 0) == 0);  // relayed regardless

    const auto events = siptap.wait_closes(2);
    const Legs legs = find_legs(events, siptap.address(), lync.address());
    REQUIRE(legs.client != 0);
    REQUIRE(legs.upstream != 0);
    const std::string failure = option + " /dev/full: writing failed (No space left on device)";
    const auto reported = notices(events, "relay-error", failure);
    CHECK(events_of(reported, "notice", legs.client).size() == 1);  // once per leg, not per write
    CHECK(events_of(reported, "notice", legs.upstream).size() == 1);

    CHECK(exit_code(siptap.process()) == 2);
    const std::string err = read_file(dir / "siptap_err");
    CAPTURE(err);
    CHECK(err.find("siptap proxy: " + failure + "; the file is incomplete\n") != std::string::npos);
}

TEST_CASE("[proxy] output that cannot be written (stdout, --html, --ladder-out): exit 2 naming it",
          "[proxy][errors]") {
    // The redirection or option that sends one output to /dev/full, and what siptap must say.
    const auto [output, message] = GENERATE(table<std::string, std::string>({
        {"> /dev/full", "writing to stdout failed"},
        {"--html /dev/full > /dev/null", "/dev/full: writing the HTML report failed"},
        {"--ladder-out /dev/full > /dev/null", "--ladder-out /dev/full: writing the ladder failed"},
    }));
    CAPTURE(output);
    TempDir dir;
    const Responder upstream(dir);
    const std::uint16_t port = free_port();
    Spawned siptap("exec " + std::string(SIPTAP_BINARY) + " proxy --json --plain --listen 127.0.0.1:" +
                   std::to_string(port) + " --upstream " + upstream.address() + " " + output + " 2> " + dir / "err");
    REQUIRE(wait_listening(port, 5s));
    const int fd = tcp_connect("127.0.0.1", port);
    CHECK(options_answered(fd));
    ::close(fd);
    CHECK(exit_code(siptap) == 2);
    CHECK(read_file(dir / "err").find(message) != std::string::npos);
}

TEST_CASE("[proxy] out of descriptors: open relays go on, accepting backs off and is reported once a second, "
          "and resumes when descriptors are free",
          "[proxy][errors]") {
    REQUIRE(std::system("command -v prlimit > /dev/null") == 0);  // util-linux
    TempDir dir;
    const Responder upstream(dir);
    SiptapProxy siptap(dir, upstream.address(), "--plain --threads 1");
    const pid_t pid = listening_pid(siptap.port());
    REQUIRE(pid > 0);
    // One whole connection first. Not needed by siptap, but by UBSan in a sanitizer build: its
    // vptr check reads an unknown object through a pipe (IsAccessibleMemoryRange), which
    // fails without free descriptors and is reported as an invalid vptr. Checked once, a
    // dynamic type is cached; this caches those of a relay's start and end.
    const int first = tcp_connect("127.0.0.1", siptap.port());
    REQUIRE(options_answered(first));
    ::close(first);
    siptap.wait_closes(2);  // both legs
    const int open = tcp_connect("127.0.0.1", siptap.port());
    REQUIRE(options_answered(open));
    // Descriptors are handed out lowest first: with the limit at the lowest free one, the next
    // accept finds none (those above it, e.g. inherited, stay usable).
    const std::string limit = std::to_string(lowest_free_fd(pid));
    REQUIRE(std::system(("prlimit --pid " + std::to_string(pid) + " --nofile=" + limit + ":" + limit).c_str()) == 0);

    const auto since = std::chrono::steady_clock::now();  // no accept can have failed before
    const int waiting = tcp_connect("127.0.0.1", siptap.port());  // the kernel's backlog takes it
    const auto before = thread_cpu_ticks(pid);
    REQUIRE(::send(waiting, kOptions.data(), kOptions.size(), MSG_NOSIGNAL) > 0);
    for (int i = 0; i < 6; ++i) {  // ~3 s: the open relay keeps relaying meanwhile
        CHECK(options_answered(open));
        CHECK_FALSE(readable_within(waiting, 500ms));  // not relayed: never accepted
    }
    long ticks = 0;
    for (const auto& [name, t] : thread_cpu_ticks(pid)) ticks += t - (before.count(name) ? before.at(name) : 0);
    CHECK(ticks < 30);  // (out of ~300) it waits between accepts instead of retrying at once

    const auto reports = notices(siptap.events(), "relay-error", "cannot accept connections: Too many open files");
    const auto spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
    CAPTURE(spent, reports.size());
    CHECK(reports.size() >= 2);
    CHECK(reports.size() <= static_cast<std::size_t>(spent) + 1);  // at most one a second
    for (const auto& r : reports) CHECK(r["conn"] == 0);  // about the relay, not a connection

    ::close(open);  // its two descriptors are free again: the waiting client is accepted
    std::string answer;
    CHECK(wait_until([&] { return readable_within(waiting, 50ms); }, 5s));
    char buf[256];
    const auto n = ::recv(waiting, buf, sizeof buf, 0);
    CHECK(n > 0);
    if (n > 0) CHECK(std::string(buf, static_cast<std::size_t>(n)).rfind("SIP/2.0 200 OK\r\n", 0) == 0);
    ::close(waiting);
}

TEST_CASE("[proxy] a reader of stdout that does not read: the transfer is relayed in full meanwhile, and "
          "the dropped events are counted in a notice",
          "[proxy][errors]") {
    TempDir dir;
    const Responder upstream(dir);
    const std::uint16_t port = free_port();
    const std::string go = dir / "go", events_file = dir / "events.jsonl";
    // siptap's stdout is a pipe whose reader starts reading only once `go` exists.
    Spawned siptap(std::string(SIPTAP_BINARY) + " proxy --json --plain --listen 127.0.0.1:" + std::to_string(port) +
                   " --upstream " + upstream.address() + " 2> " + dir / "err" + " | sh -c 'while [ ! -e " + go +
                   " ]; do sleep 0.05; done; exec cat > " + events_file + "'");
    REQUIRE(wait_listening(port, 5s));

    // More than the decoder's 64 MiB backlog: before the output had its own thread, the relay
    // stopped forwarding once that was full.
    const std::string body(16 * 1024, 'b');
    const std::string message = "MESSAGE sip:lync01.contoso.com SIP/2.0\r\nCall-ID: bulk\r\nCSeq: 1 MESSAGE\r\n"
                                "Content-Type: text/plain\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
    std::string chunk;
    for (int i = 0; i < 16; ++i) chunk += message;
    const std::size_t chunks = (100u << 20) / chunk.size();
    const int fd = tcp_connect("127.0.0.1", port);  // 10 s send timeout: a stalled relay fails the send
    bool sent = true;
    // Half, then a pause longer than the outbox's kStall with the output stuck on the full pipe,
    // then the rest: however fast this machine relays, the second half meets an output that has
    // been stuck for over a second, and only then are events dropped (a merely slow one loses none).
    for (std::size_t i = 0; i < chunks / 2 && sent; ++i)
        sent = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(chunk.size());
    std::this_thread::sleep_for(proxy::EventOutbox::kStall + 500ms);
    for (std::size_t i = chunks / 2; i < chunks && sent; ++i)
        sent = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(chunk.size());
    REQUIRE(sent);
    ::shutdown(fd, SHUT_WR);
    const std::string total = std::to_string(chunks * chunk.size()) + "\n";
    CHECK(wait_until([&] { return read_file(upstream.received) == total; }, 30s));  // all of it, still unread
    ::close(fd);

    std::ofstream(go) << "read now\n";
    auto dropped = [&] { return notices(read_events(events_file), "events-dropped", "event(s) of this connection"); };
    CHECK(wait_until([&] { return !dropped().empty(); }, 20s));
    for (const auto& n : dropped()) CHECK(std::stoul(n["message"].get<std::string>()) > 0);
}

TEST_CASE("[proxy] --ca-file is read once at start-up: removed later, chains are still checked against it",
          "[proxy][errors]") {
    TempDir dir;
    const LyncPeer peer(dir, "ca");
    const auto& lync = peer.lync;
    const std::string roots = dir / "roots.pem";
    std::filesystem::copy_file(dir / "ca.pem", roots);
    SiptapProxy siptap(dir, lync.address(), LyncPeer::given_certs(dir) + " --ca-file " + roots);
    std::filesystem::remove(roots);
    CHECK(run_sip_client(dir, siptap.address(), "um", peer.request)["received"].get<std::string>().rfind("SIP/2.0 200", 0) ==
          0);
    const auto events = siptap.wait_closes(2);
    std::size_t untrusted = 0;
    for (const auto& e : events) untrusted += e["event"] == "finding" && e["code"] == "untrusted-issuer";
    CHECK(untrusted == 0);  // every chain is by the CA in the roots read at start-up

    // And a --ca-file that cannot be read is a usage error at start-up, naming it.
    const auto out = command_output("timeout 10 " + std::string(SIPTAP_BINARY) + " proxy --plain --listen 127.0.0.1:" +
                                    std::to_string(free_port()) + " --upstream " + lync.address() + " --ca-file " +
                                    roots + " 2>&1; echo status $?");
    CHECK(out.find("--ca-file " + roots + ": cannot read trusted roots") != std::string::npos);
    CHECK(out.find("status 2") != std::string::npos);
}

TEST_CASE("[proxy] a disk that fills mid-run: --capture ends at its last whole block and still reads",
          "[proxy][errors]") {
    TempDir dir;
    const LyncPeer peer(dir, "ca");
    const auto& lync = peer.lync;
    const std::string capture = dir / "capture.pcapng", out = dir / "out";
    const std::uint16_t port = free_port();
    // Files of at most 8 blocks of 512 bytes, as on a disk that is full after the handshakes
    // began; SIGXFSZ ignored, so the write fails with EFBIG. Events and messages go to a pipe,
    // which the limit does not touch.
    Spawned siptap("(trap '' XFSZ; ulimit -f 8; exec " + std::string(SIPTAP_BINARY) +
                   " proxy --json --listen 127.0.0.1:" + std::to_string(port) + " --upstream " + lync.address() + " " +
                   LyncPeer::given_certs(dir) + " --capture " + capture + ") 2>&1 | cat > " + out);
    REQUIRE(wait_listening(port, 5s));
    const pid_t pid = listening_pid(port);
    REQUIRE(pid > 0);
    const auto got = run_sip_client(dir, "127.0.0.1:" + std::to_string(port), "um", peer.request);
    CHECK(got["received"].get<std::string>().rfind("SIP/2.0 200 OK\r\n", 0) == 0);
    auto closes = [&] {
        std::size_t n = 0;
        for (const auto& e : read_events(out)) n += e["event"] == "conn_close";
        return n;
    };
    CHECK(wait_until([&] { return closes() >= 2; }, 10s));
    ::kill(pid, SIGTERM);
    REQUIRE(siptap.wait_exit(10s));
    const std::string failure = "--capture " + capture + ": writing failed (File too large)";
    CHECK(notices(read_events(out), "relay-error", failure).size() == 2);  // one per leg
    CHECK(read_file(out).find("siptap proxy: " + failure + "; the file is incomplete") != std::string::npos);

    CHECK(file_size(capture) > 0);
    CHECK(file_size(capture) <= 8 * 512);
    const auto replay = command_output("timeout 30 " + std::string(SIPTAP_BINARY) + " read --json " + capture +
                                       " 2>&1 > /dev/null; echo status $?");
    CAPTURE(replay);
    CHECK(replay.find("read error") == std::string::npos);  // no block cut in half
    CHECK(replay.find("status 2") == std::string::npos);
}

TEST_CASE("[proxy] --forge-ca without --trust reads the system roots at start-up, the hashed directory too",
          "[proxy][errors]") {
    TempDir dir;
    const LyncPeer peer(dir, "forgeca");  // Lync trusts the forgeries of trusted originals
    const auto& lync = peer.lync;
    const std::string roots = dir / "roots";
    // The "system" store: the test CA, only in a hashed directory (as c_rehash leaves it).
    std::filesystem::create_directory(roots);
    const auto hash = command_output("openssl x509 -hash -noout -in " + dir / "ca.pem");
    REQUIRE(hash.size() == 9);  // 8 hex digits and a newline
    std::filesystem::copy_file(dir / "ca.pem", roots + "/" + hash.substr(0, 8) + ".0");
    struct SystemRoots {  // for siptap only, which inherits them
        explicit SystemRoots(const std::string& dir) {
            ::setenv("SSL_CERT_DIR", dir.c_str(), 1);
            ::setenv("SSL_CERT_FILE", "/nonexistent", 1);
        }
        ~SystemRoots() {
            ::unsetenv("SSL_CERT_DIR");
            ::unsetenv("SSL_CERT_FILE");
        }
    };
    std::unique_ptr<SiptapProxy> siptap;
    {
        SystemRoots env(roots);
        siptap = std::make_unique<SiptapProxy>(
            dir, lync.address(), "--forge-ca " + dir / "forgeca.pem" + " --forge-ca-key " + dir / "forgeca.key");
    }
    std::filesystem::remove_all(roots);
    // UM's certificate chains to a root siptap read at start-up, so its forgery is signed by
    // the forge CA, which Lync trusts: 200 OK. Looked up in the directory only now, it would
    // be forged by the throwaway CA and refused.
    const auto got = run_sip_client(dir, siptap->address(), "um", peer.request);
    CAPTURE(got.dump());
    CHECK(got["received"].get<std::string>().rfind("SIP/2.0 200 OK\r\n", 0) == 0);
}
