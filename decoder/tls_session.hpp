// TLS record layer and handshake decoding for both directions of one connection, over
// reassembled stream bytes (SSL 3.0 .. TLS 1.3). Emits payloads; the Connection wraps them
// into events with time and addresses.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "decoder/events.hpp"

namespace decoder {

// True when the bytes start like a TLS record carrying a handshake (0x16 0x03 0x00..0x04).
// Needs at least 3 bytes; false when fewer.
bool looks_like_tls(std::span<const std::byte> first_bytes) noexcept;

class TlsSession {
public:
    TlsSession();
    ~TlsSession();

    // Feeds the next in-order bytes of one direction. Appends what they complete, in order:
    // TlsMessage (one per handshake message, ChangeCipherSpec, or application data record),
    // Certificate (one per certificate of a Certificate message, leaf first), TlsAlert, and
    // Notice on malformed input (after which that direction stops decoding).
    void feed(Dir dir, std::span<const std::byte> data, std::vector<Payload>& out) noexcept;

    // Bytes missing in one direction: that direction stops decoding.
    void gap(Dir dir) noexcept;

    // Both sides finished the handshake (TLS 1.2: both ChangeCipherSpec + Finished seen;
    // TLS 1.3 without keys: client sent its encrypted flight after the server's).
    bool handshake_complete() const noexcept;

    std::uint64_t application_records(Dir dir) const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace decoder
