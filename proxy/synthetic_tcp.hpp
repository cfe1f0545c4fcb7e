// One relay leg written to a pcapng file as the plain TCP connection it would be without TLS:
// Ethernet/IPv4-or-IPv6/TCP headers with the leg's real addresses and ports, a three-way
// handshake at the start, the (decrypted) payload with consistent sequence and ack numbers
// (each segment acknowledged), and FIN or RST at the end as each side closed. Correct IP and
// TCP checksums. Not thread-safe: the leg's recorder serialises calls.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "decoder/model/events.hpp"
#include "proxy/pcapng_writer.hpp"

namespace proxy {

class SyntheticTcp {
public:
    // Unusable addresses (not IP literals, mixed families) make every call a no-op.
    SyntheticTcp(PcapngWriter& out, const decoder::Endpoint& client, const decoder::Endpoint& server,
                 decoder::Micros now);

    void data(decoder::Dir dir, std::span<const std::byte> payload, decoder::Micros now);
    void fin(decoder::Dir dir, decoder::Micros now);
    void rst(decoder::Dir dir, decoder::Micros now);

private:
    struct Side {
        std::array<std::uint8_t, 16> ip{};
        std::uint16_t port = 0;
        std::uint32_t next_seq = 0;
        bool closed = false;
    };
    void emit(decoder::Dir dir, std::uint8_t flags, std::span<const std::uint8_t> payload, decoder::Micros now);
    Side& from(decoder::Dir d) { return d == decoder::Dir::ClientToServer ? client_ : server_; }
    Side& to(decoder::Dir d) { return d == decoder::Dir::ClientToServer ? server_ : client_; }

    PcapngWriter& out_;
    bool ok_ = false, v6_ = false;
    Side client_, server_;
    std::uint16_t ip_id_ = 1;
};

}  // namespace proxy
