// The SSLv2-compatible ClientHello (RFC 5246 appendix E.2) that old Windows clients (XP and
// Server 2003 era Schannel, some Java and .NET stacks) send to offer TLS 1.0 to a server that
// might speak only SSL 2.0: a 2-byte SSLv2 record header (high bit set) and an SSLv2
// CLIENT-HELLO whose version is 3.x, listing cipher specs of 3 bytes (TLS suites are those
// with a zero first byte). A TLS server answers with an ordinary ServerHello. Only the
// client's first bytes can be one.
#pragma once

#include <array>
#include <cstddef>

#include "decoder/model/events.hpp"
#include "decoder/base/parse_result.hpp"
#include "decoder/tls/tls_records.hpp"

namespace decoder::tls {

struct Sslv2Hello {
    TlsMessage message;                  // client_hello: version, ciphers
    std::array<std::byte, 32> random{};  // the challenge right-justified, zeros first (E.2)
    Bytes hello_bytes;                   // msg_type .. challenge: what the handshake hash covers
};

// True when the first bytes (3 or more) can start an SSLv2-compatible ClientHello.
bool starts_like_sslv2_hello(Bytes first_bytes) noexcept;

// One SSLv2-compatible ClientHello at the start of `in`: Incomplete until the whole record is
// there; Error when a length does not fit or the version is not 3.x.
ParseResult<Sslv2Hello> parse_sslv2_client_hello(Bytes in) noexcept;

// The bytes the record at the start of `in` takes (2 + length), or 2 while fewer are there.
std::size_t sslv2_record_size(Bytes in) noexcept;

}  // namespace decoder::tls
