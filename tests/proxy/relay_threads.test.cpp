// --threads: each I/O thread runs its own connections, and a connection never changes threads
// (so no record of it is handed from one CPU to another). Seen from outside, by the CPU time
// of siptap's threads (named siptap-io0, siptap-io1, ...) while one connection is busy.
#include <catch2/catch.hpp>

#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#include "process_support.hpp"
#include "siptap_support.hpp"

using namespace proxy_test;

namespace {

// A plain TCP upstream that takes any number of connections and reads them until they end.
const char* kSink = R"(import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); s.settimeout(30)
def drain(c):
    c.settimeout(30)
    while c.recv(1 << 20): pass
while True:
    c, _ = s.accept(); threading.Thread(target=drain, args=(c,), daemon=True).start()
)";

constexpr std::size_t kBurst = 200u << 20;  // about 30 ticks (0.3 s) of a relaying thread's CPU

struct Connection {
    int fd;
    explicit Connection(std::uint16_t port) : fd(tcp_connect("127.0.0.1", port)) {}
    ~Connection() { ::close(fd); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
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

// CPU ticks each I/O thread spent while `work` ran.
std::map<std::string, long> io_ticks_during(pid_t pid, const std::function<void()>& work) {
    const auto before = thread_cpu_ticks(pid);
    work();
    std::map<std::string, long> spent;
    for (const auto& [name, ticks] : thread_cpu_ticks(pid))
        if (name.rfind("siptap-io", 0) == 0) spent[name] = ticks - (before.count(name) ? before.at(name) : 0);
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
    std::ofstream(dir / "sink.py") << kSink;
    const std::uint16_t upstream_port = free_port();
    Spawned sink("exec timeout 60 python3 " + dir / "sink.py" + " " + std::to_string(upstream_port));
    REQUIRE(wait_listening(upstream_port, 5s));
    SiptapProxy siptap(dir, "127.0.0.1:" + std::to_string(upstream_port), "--plain --threads 2");
    const pid_t pid = listening_pid(siptap.port());
    REQUIRE(pid > 0);

    Connection first(siptap.port());
    bool sent = false;
    const auto first_spent = io_ticks_during(pid, [&] { sent = first.burst(); });
    REQUIRE(sent);
    INFO("first connection's burst, CPU ticks per I/O thread: " << nlohmann::json(first_spent).dump());
    REQUIRE(first_spent.size() == 2);
    const auto first_thread = sole_busy_thread(first_spent);
    CHECK(!first_thread.empty());  // one thread relayed it all: the connection was not handed around

    Connection second(siptap.port());  // the first stays open: its thread has one connection
    const auto second_spent = io_ticks_during(pid, [&] { sent = second.burst(); });
    REQUIRE(sent);
    INFO("second connection's burst, CPU ticks per I/O thread: " << nlohmann::json(second_spent).dump());
    const auto second_thread = sole_busy_thread(second_spent);
    CHECK(!second_thread.empty());
    CHECK(second_thread != first_thread);  // given to the thread that had none
}
