// --threads: each I/O thread runs its own connections, and a connection never changes threads
// (so no record of it is handed from one CPU to another). Seen from outside, by the CPU time
// of siptap's threads (named siptap-io0, siptap-io1, ...) while one connection is busy. And
// stopping, which now has to end every thread: draining, or cutting off at the deadline.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <map>
#include <string>
#include <memory>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process_support.hpp"
#include "siptap_support.hpp"

using namespace proxy_test;

namespace {

// A plain TCP upstream that takes any number of connections, reads each until it ends, then
// closes it.
const char* kSink = R"(import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); s.settimeout(30)
def drain(c):
    c.settimeout(30)
    while c.recv(1 << 20): pass
    c.close()  # the relay's upstream leg ends too
while True:
    c, _ = s.accept(); threading.Thread(target=drain, args=(c,), daemon=True).start()
)";

// kSink running on a free port, listening once constructed.
struct Sink {
    std::uint16_t port = free_port();
    Spawned process;
    explicit Sink(const TempDir& dir) : process(command(dir, port)) { REQUIRE(wait_listening(port, 5s)); }
    std::string address() const { return "127.0.0.1:" + std::to_string(port); }

private:
    static std::string command(const TempDir& dir, std::uint16_t port) {
        std::ofstream(dir / "sink.py") << kSink;
        return "exec timeout 60 python3 " + dir / "sink.py" + " " + std::to_string(port);
    }
};

constexpr std::size_t kBurst = 100u << 20;  // 4 to 15 ticks of a relaying thread's CPU, by machine

struct Connection {
    int fd;
    explicit Connection(std::uint16_t port) : fd(tcp_connect("127.0.0.1", port)) {}
    ~Connection() { ::close(fd); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    bool send(const std::string& data) const {
        return ::send(fd, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
    }
    // Sends kBurst bytes (bounded by the socket's send timeout); true when all went.
    bool burst() const {
        const std::string chunk(64 * 1024, 'x');
        for (std::size_t sent = 0; sent < kBurst;) {
            const auto n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            sent += static_cast<std::size_t>(n);
        }
        return true;
    }
};

// CPU ticks each I/O thread spent while `connection` sent bursts, until they add up to enough
// ticks (kEnoughTicks) to tell which thread did the work: how many ticks one burst costs varies
// with the machine (8 on one, 30 on another), and a tick is 10 ms. At most kMaxBursts.
constexpr long kEnoughTicks = 30;
constexpr int kMaxBursts = 10;

std::map<std::string, long> io_ticks_of_bursts(pid_t pid, const Connection& connection) {
    const auto before = thread_cpu_ticks(pid);
    std::map<std::string, long> spent;
    for (int burst = 0; burst < kMaxBursts; ++burst) {
        if (!connection.burst()) return {};
        long total = 0;
        for (const auto& [name, ticks] : thread_cpu_ticks(pid))
            if (name.rfind("siptap-io", 0) == 0)
                total += spent[name] = ticks - (before.count(name) ? before.at(name) : 0);
        if (total >= kEnoughTicks) break;
    }
    return spent;
}

// The thread that did (nearly) all of the I/O threads' work; empty if none did.
std::string sole_busy_thread(const std::map<std::string, long>& spent) {
    long total = 0;
    for (const auto& [name, ticks] : spent) total += ticks;
    for (const auto& [name, ticks] : spent)
        if (ticks >= 10 && ticks * 10 >= total * 9) return name;
    return {};
}

}  // namespace

TEST_CASE("[proxy] --threads 2: a connection stays on one I/O thread and the next goes to the other",
          "[proxy]") {
    TempDir dir;
    const Sink sink(dir);
    SiptapProxy siptap(dir, sink.address(), "--plain --threads 2");
    const pid_t pid = listening_pid(siptap.port());
    REQUIRE(pid > 0);

    Connection first(siptap.port());
    const auto first_spent = io_ticks_of_bursts(pid, first);
    INFO("first connection's burst, CPU ticks per I/O thread: " << nlohmann::json(first_spent).dump());
    REQUIRE(first_spent.size() == 2);
    const auto first_thread = sole_busy_thread(first_spent);
    CHECK(!first_thread.empty());  // one thread relayed it all: the connection was not handed around

    Connection second(siptap.port());  // the first stays open: its thread has one connection
    const auto second_spent = io_ticks_of_bursts(pid, second);
    REQUIRE(second_spent.size() == 2);
    INFO("second connection's burst, CPU ticks per I/O thread: " << nlohmann::json(second_spent).dump());
    const auto second_thread = sole_busy_thread(second_spent);
    CHECK(!second_thread.empty());
    CHECK(second_thread != first_thread);  // given to the thread that had none
}

TEST_CASE("[proxy] --threads 2: on SIGTERM relays on both threads may drain, and are cut off at the deadline",
          "[proxy]") {
    TempDir dir;
    const Sink sink(dir);
    const bool cut_off = GENERATE(false, true);
    CAPTURE(cut_off);
    SiptapProxy siptap(dir, sink.address(),
                       std::string("--plain --threads 2 --drain-timeout ") + (cut_off ? "1" : "20"));
    auto first = std::make_unique<Connection>(siptap.port());
    auto second = std::make_unique<Connection>(siptap.port());  // on the other thread (test above)
    // The legs are reported once bytes flow.
    REQUIRE(first->send("OPTIONS sip:lync01.contoso.com SIP/2.0\r\nContent-Length: 0\r\n\r\n"));
    REQUIRE(second->send("OPTIONS sip:lync01.contoso.com SIP/2.0\r\nContent-Length: 0\r\n\r\n"));
    auto opened = [&] {
        std::size_t n = 0;
        for (const auto& e : siptap.events()) n += e["event"] == "conn_open";
        return n;
    };
    REQUIRE(wait_until([&] { return opened() == 4; }, 10s));  // both relayed to the upstream

    const auto signalled = std::chrono::steady_clock::now();
    siptap.process().kill(SIGTERM);
    CHECK_FALSE(siptap.process().wait_exit(500ms));  // both still open: it drains
    if (!cut_off) {
        first.reset();
        second.reset();
    }
    REQUIRE(siptap.process().wait_exit(10s));
    const auto took = std::chrono::steady_clock::now() - signalled;
    // Whichever thread the last relay ended on, it ended the wait; else the deadline did.
    if (cut_off) CHECK(took >= 900ms);
    else CHECK(took < 5s);
    const int status = siptap.process().wait_status();
    CHECK(WIFEXITED(status));  // the cut-off relays were destroyed without a crash
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(read_file(dir / "siptap_err").find("stopped; 2 connection(s) relayed") != std::string::npos);
}
