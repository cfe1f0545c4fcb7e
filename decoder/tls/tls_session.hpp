// TLS record layer and handshake decoding for both directions of one connection, over
// reassembled stream bytes (SSL 3.0 .. TLS 1.3). Emits payloads; the Connection wraps them
// into events with time and addresses.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "decoder/model/events.hpp"

namespace decoder {

// True when the bytes start like a TLS record carrying a handshake (0x16 0x03 0x00..0x04), or
// like an SSLv2-compatible ClientHello offering TLS (tls_sslv2.hpp). Needs at least 3 bytes;
// false when fewer.
bool looks_like_tls(std::span<const std::byte> first_bytes) noexcept;

class KeyLog;

// Receives the decrypted application data of one direction; appends what it makes of it
// (e.g. SIP messages) to `out`, in order with the TLS payloads.
using PlaintextHandler = std::function<void(Dir, std::span<const std::byte>, std::vector<Payload>&)>;

class TlsSession {
public:
    // With a key log (which must outlive the session) protected records of sessions it has
    // secrets for are decrypted: handshake messages, alerts and application data come out as
    // if sent in the clear (encrypted=false), the application data through the handler. A
    // session the key log cannot decrypt says so once (a Notice) and is decoded as without.
    explicit TlsSession(const KeyLog* keys = nullptr);
    ~TlsSession();

    void set_plaintext_handler(PlaintextHandler handler);

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
