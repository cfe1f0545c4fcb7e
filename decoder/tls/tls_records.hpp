// TLS framing: the record layer (5-byte header) and handshake messages (4-byte header) over a
// byte stream, with the caps from STYLE.md, plus a bounds-checked reader for message bodies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "decoder/base/parse_result.hpp"

namespace decoder::tls {

using decoder::ParseResult;
using decoder::ParseStatus;
using Bytes = std::span<const std::byte>;

enum ContentType : std::uint8_t {
    change_cipher_spec = 20,
    alert = 21,
    handshake = 22,
    application_data = 23,
    heartbeat = 24,
};

// The handshake messages the decoder treats on their own (RFC 5246 7.4, RFC 8446 4); the
// others are only named (tls_names.hpp).
enum class HandshakeType : std::uint8_t {
    hello_request = 0,
    client_hello = 1,
    server_hello = 2,
    new_session_ticket = 4,
    certificate = 11,
    certificate_request = 13,
    certificate_verify = 15,
    client_key_exchange = 16,
    finished = 20,
    key_update = 24,
};

inline constexpr std::size_t record_header_size = 5;
inline constexpr std::size_t max_record_body = (1u << 14) + 2048;  // TLSCiphertext limit
inline constexpr std::size_t handshake_header_size = 4;
inline constexpr std::size_t max_handshake_body = 64 * 1024;

struct Record {
    std::uint8_t type = 0;
    std::uint16_t version = 0;  // legacy record version
    Bytes fragment;
};

struct HandshakeMessage {
    std::uint8_t type = 0;
    Bytes body;
    bool is(HandshakeType t) const noexcept { return type == static_cast<std::uint8_t>(t); }
};

// One record at the start of `in`. Rejects a non-TLS header as soon as its first bytes show
// it (content type 20..24, version 3.0..3.4), and bodies over max_record_body.
ParseResult<Record> parse_record(Bytes in) noexcept;
// One handshake message at the start of `in`; bodies over max_handshake_body are an error.
ParseResult<HandshakeMessage> parse_handshake(Bytes in) noexcept;

// How many bytes `in` lacks to hold one whole record / handshake message (0: none). Call
// after the parser said Incomplete.
std::size_t record_missing(Bytes in) noexcept;
std::size_t handshake_missing(Bytes in) noexcept;

// Cuts a stream into frames with `parse`, buffering a frame that arrives in pieces (the buffer
// never holds more than one frame). A Complete frame stays valid until the next call.
template <class Frame>
class FrameReader {
public:
    using Parser = ParseResult<Frame> (*)(Bytes) noexcept;
    using Missing = std::size_t (*)(Bytes) noexcept;
    FrameReader(Parser parse, Missing missing) noexcept : parse_(parse), missing_(missing) {}

    // Takes bytes from the front of `input` until one frame is complete, the input is used up
    // (Incomplete) or the stream is malformed (Error); `consumed` = bytes taken from `input`.
    ParseResult<Frame> next(Bytes& input) noexcept;
    // A partial frame is waiting for more bytes.
    bool pending() const noexcept { return !delivered_ && !buffer_.empty(); }

private:
    Parser parse_;
    Missing missing_;
    std::vector<std::byte> buffer_;
    bool delivered_ = false;  // buffer_ holds a frame already returned
};

extern template class FrameReader<Record>;
extern template class FrameReader<HandshakeMessage>;

// Bounds-checked big-endian reader over a message body. Every call fails without moving when
// the data is too short; `vecN` read an N-byte length and then that many bytes.
class ByteReader {
public:
    explicit ByteReader(Bytes data) noexcept : data_(data) {}

    bool u8(std::uint8_t& out) noexcept;
    bool u16(std::uint16_t& out) noexcept;
    bool u24(std::uint32_t& out) noexcept;
    bool bytes(std::size_t n, Bytes& out) noexcept;
    bool vec8(Bytes& out) noexcept;
    bool vec16(Bytes& out) noexcept;
    bool vec24(Bytes& out) noexcept;

    bool empty() const noexcept { return data_.empty(); }
    std::size_t remaining() const noexcept { return data_.size(); }

private:
    Bytes data_;
};

}  // namespace decoder::tls
