#include "udp_receiver_support.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

UdpReceiver::UdpReceiver() : fd(socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    int size = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

UdpReceiver::~UdpReceiver() { close(fd); }

sockaddr_in UdpReceiver::address() const {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
}

std::vector<std::string> UdpReceiver::drain() {
    std::vector<std::string> out;
    pollfd p{fd, POLLIN, 0};
    for (int wait = 2000; poll(&p, 1, wait) > 0; wait = 200) {
        char buf[65536];
        const auto n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.emplace_back(buf, static_cast<std::size_t>(n));
    }
    return out;
}
