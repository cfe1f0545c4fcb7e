// What the relay tests learn about a running siptap from outside: its pid (from the socket it
// listens on), its open file descriptors, its /proc status and its threads' CPU time; and
// plain TCP probes of
// loopback addresses other than 127.0.0.1.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <sys/types.h>

namespace proxy_test {

// The pid of the process listening on TCP `port` (asks ss), or -1.
pid_t listening_pid(std::uint16_t port);
// Entries in /proc/PID/fd, or -1 when the process is gone.
int open_fds(pid_t pid);
// The value of one line of /proc/PID/status ("Uid", "Gid", ...), tabs as in the file.
std::string proc_status(pid_t pid, const std::string& key);
// CPU time (user + system, in clock ticks) of each thread of PID by thread name (as set with
// pthread_setname_np; threads of one name are summed). Empty when the process is gone.
std::map<std::string, long> thread_cpu_ticks(pid_t pid);
// Times each thread of PID blocked (voluntary context switches), by thread name as above.
std::map<std::string, long> thread_sleeps(pid_t pid);
// A connected blocking TCP socket to ip:port (send and receive time out after 10 s); throws
// when the connect fails. Close it with ::close.
int tcp_connect(const std::string& ip, std::uint16_t port);

// Whether a TCP connect to ip:port succeeds, even if reset at once after (false when refused
// or not answered in 2 s).
bool tcp_connects(const std::string& ip, std::uint16_t port);

// A TCP listener on ip:port (port 0: any) that accepts nothing by itself: the test asks
// whether anyone connected.
class Listener {
public:
    Listener(const std::string& ip, std::uint16_t port = 0);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    std::uint16_t port() const { return port_; }
    // Connections accepted within `timeout` (each closed at once).
    int accepted_within(std::chrono::milliseconds timeout);

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

}  // namespace proxy_test
