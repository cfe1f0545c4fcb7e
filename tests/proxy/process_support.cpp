#include "process_support.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

#include "peer_support.hpp"

namespace proxy_test {

namespace {

sockaddr_in address(const std::string& ip, std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (::inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) throw std::invalid_argument(ip + ": not an IPv4 address");
    return a;
}

}  // namespace

pid_t listening_pid(std::uint16_t port) {
    const auto out = command_output("timeout 5 ss -Hltnp 'sport = :" + std::to_string(port) + "'");
    std::smatch m;
    return std::regex_search(out, m, std::regex("pid=([0-9]+)")) ? std::stoi(m[1]) : -1;
}

int open_fds(pid_t pid) {
    std::error_code ec;
    int n = 0;
    for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end; !ec && it != end;
         it.increment(ec))
        ++n;
    return ec ? -1 : n;
}

std::string proc_status(pid_t pid, const std::string& key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(key + ":", 0) == 0) return line.substr(key.size() + 2);
    return {};
}

std::map<std::string, long> thread_cpu_ticks(pid_t pid) {
    std::map<std::string, long> out;
    std::error_code ec;
    for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/task", ec), end; !ec && it != end;
         it.increment(ec)) {
        // "tid (name) state ppid ...": the name may hold spaces, so fields count from the last ')'.
        const std::string stat = read_file((it->path() / "stat").string());
        const auto open = stat.find('('), close = stat.rfind(')');
        if (open == std::string::npos || close == std::string::npos) continue;
        std::istringstream fields(stat.substr(close + 2));
        std::string field;
        long utime = 0, stime = 0;
        for (int i = 3; i <= 15 && fields >> field; ++i) {  // utime and stime are fields 14 and 15
            if (i == 14) utime = std::stol(field);
            if (i == 15) stime = std::stol(field);
        }
        out[stat.substr(open + 1, close - open - 1)] += utime + stime;
    }
    return out;
}

std::map<std::string, long> thread_sleeps(pid_t pid) {
    std::map<std::string, long> out;
    std::error_code ec;
    for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/task", ec), end; !ec && it != end;
         it.increment(ec)) {
        std::istringstream status(read_file((it->path() / "status").string()));
        std::string name;
        for (std::string line; std::getline(status, line);) {
            if (line.rfind("Name:\t", 0) == 0) name = line.substr(6);
            if (line.rfind("voluntary_ctxt_switches:", 0) == 0) out[name] += std::stol(line.substr(24));
        }
    }
    return out;
}

int tcp_connect(const std::string& ip, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    const timeval timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    const auto a = address(ip, port);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot connect to " + ip + ":" + std::to_string(port));
    }
    return fd;
}

bool tcp_connects(const std::string& ip, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    const auto a = address(ip, port);
    bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
    if (!ok && errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        int error = 0;
        socklen_t len = sizeof error;
        // ECONNRESET: it was accepted, then reset (a relay whose upstream refused it may do
        // so before we look); a refused SYN gives ECONNREFUSED.
        ok = ::poll(&p, 1, 2000) == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == 0 &&
             (error == 0 || error == ECONNRESET);
    }
    ::close(fd);
    return ok;
}

Listener::Listener(const std::string& ip, std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    auto a = address(ip, port);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 16) != 0)
        throw std::runtime_error("cannot listen on " + ip + ":" + std::to_string(port));
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
}

Listener::~Listener() { ::close(fd_); }

int Listener::accepted_within(std::chrono::milliseconds timeout) {
    int accepted = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd p{fd_, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return accepted;
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c >= 0) {
            ++accepted;
            ::close(c);
        }
    }
}

}  // namespace proxy_test
