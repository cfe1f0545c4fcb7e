#include "cli/hep_sender.hpp"

#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace cli {

namespace {

[[noreturn]] void bad(const std::string& arg, const std::string& why) {
    throw std::runtime_error("--hep " + arg + ": " + why);
}

}  // namespace

HepSender::HepSender(const std::string& arg) {
    const auto colon = arg.rfind(':');
    if (colon == std::string::npos || colon + 1 == arg.size()) bad(arg, "expected ADDRESS:PORT");
    std::string host = arg.substr(0, colon);
    const int port = std::atoi(arg.c_str() + colon + 1);
    if (port <= 0 || port > 65535) bad(arg, "port must be 1-65535");
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    sockaddr_storage addr{};
    socklen_t len = 0;
    if (auto* v4 = reinterpret_cast<sockaddr_in*>(&addr); inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<std::uint16_t>(port));
        len = sizeof(sockaddr_in);
    } else if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr); inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<std::uint16_t>(port));
        len = sizeof(sockaddr_in6);
    } else {
        bad(arg, "not an IPv4 or IPv6 address (no name lookups: give the HOMER server's address)");
    }
    // Not connect()ed: on a connected UDP socket an ICMP "port unreachable" makes the next
    // send fail, so one missing listener would drop every other packet. The one destination
    // is kept here and used for every send.
    fd_ = socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) bad(arg, "cannot open a UDP socket");
    std::memcpy(&dest_, &addr, sizeof addr);
    dest_len_ = len;
}

HepSender::~HepSender() {
    if (fd_ >= 0) close(fd_);
}

void HepSender::send(void* self, const std::vector<std::byte>& packet) {
    auto* s = static_cast<HepSender*>(self);
    if (::sendto(s->fd_, packet.data(), packet.size(), 0, reinterpret_cast<const sockaddr*>(&s->dest_),
                 s->dest_len_) != static_cast<ssize_t>(packet.size()))
        ++s->failures_;
}

}  // namespace cli
