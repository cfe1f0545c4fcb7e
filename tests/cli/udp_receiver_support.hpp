// A UDP socket of the test's own on 127.0.0.1, on a port the kernel picks: somewhere to send
// SIP or HEP that belongs to the test (no ICMP port-unreachable answers it) and that can read
// back what arrived.
#pragma once

#include <cstdint>
#include <netinet/in.h>
#include <string>
#include <vector>

struct UdpReceiver {
    UdpReceiver();
    ~UdpReceiver();
    UdpReceiver(const UdpReceiver&) = delete;
    UdpReceiver& operator=(const UdpReceiver&) = delete;

    sockaddr_in address() const;  // 127.0.0.1:port, to connect() or sendto()
    // Everything queued, waiting at most 2 s for the first datagram.
    std::vector<std::string> drain();

    int fd = -1;
    std::uint16_t port = 0;
};
