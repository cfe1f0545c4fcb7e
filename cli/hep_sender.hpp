// The UDP socket that carries HEPv3 packets to one HOMER server, and nowhere else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <sys/socket.h>
#include <string>
#include <vector>

namespace cli {

class HepSender {
public:
    // "10.0.0.9:9060" or "[2001:db8::9]:9060". Throws std::runtime_error naming the
    // argument when it is not an address:port or the socket cannot be made.
    explicit HepSender(const std::string& address_port);
    ~HepSender();
    HepSender(const HepSender&) = delete;
    HepSender& operator=(const HepSender&) = delete;

    // Best effort, as UDP is: a failed send is counted, never fatal.
    static void send(void* self, const std::vector<std::byte>& packet);
    std::uint64_t failures() const { return failures_; }

private:
    int fd_ = -1;
    sockaddr_storage dest_{};
    socklen_t dest_len_ = 0;
    std::uint64_t failures_ = 0;
};

}  // namespace cli
