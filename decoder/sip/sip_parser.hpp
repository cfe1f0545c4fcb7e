// Parses one SIP message (RFC 3261) from the start of a buffer: request or status line,
// headers (compact forms, folded lines, repeated headers) and the body framed by
// Content-Length. Bounded: message size and header count are capped.
#pragma once

#include <cstddef>
#include <string_view>

#include "decoder/model/events.hpp"
#include "decoder/base/parse_result.hpp"

namespace decoder {

struct SipLimits {
    std::size_t max_message_bytes = 64 * 1024;
    std::size_t max_headers = 64;
};
// How far the limits may be raised: headers are kept in a fixed array, and a stream buffers
// a whole message before it is parsed.
inline constexpr std::size_t kMaxSipHeadersCeiling = 256;
inline constexpr std::size_t kMaxSipBytesCeiling = 64 * 1024 * 1024;

// The limits every SipStream and datagram parse uses unless given others. Set once at startup
// (--max-sip-bytes, --max-sip-headers), before decoding starts; values are clamped to the ceilings.
SipLimits process_sip_limits() noexcept;
void set_process_sip_limits(SipLimits limits) noexcept;

// Stream: a message ends after Content-Length body bytes (missing header = no body).
// Datagram: the buffer is exactly one message; a missing Content-Length means "the rest".
enum class SipFraming { Stream, Datagram };

ParseResult<SipMessage> parse_sip_message(std::string_view buf, SipFraming framing,
                                          const SipLimits& limits = process_sip_limits()) noexcept;

enum class SipGuess { Yes, No, NeedMore };
// Whether the bytes start like a SIP request line or status line (decided on the first token).
SipGuess looks_like_sip(std::string_view first_bytes) noexcept;

}  // namespace decoder
