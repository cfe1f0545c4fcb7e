// Frames SIP messages out of one direction of a byte stream (TCP or decrypted TLS):
// several messages per segment, one message over many segments, CRLF keep-alives skipped.
// Feeding the stream one byte at a time yields exactly what feeding it at once yields.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "decoder/model/events.hpp"
#include "decoder/sip/sip_parser.hpp"

namespace decoder {

class SipStream {
public:
    SipStream() : limits_(process_sip_limits()) {}
    explicit SipStream(SipLimits limits) : limits_(limits) {}

    // Appends each completed SipMessage, or one Notice when the stream stops making sense
    // (after which this direction is no longer decoded).
    void feed(std::span<const std::byte> data, std::vector<Payload>& out) noexcept;
    // Bytes are missing: what is buffered can never complete, so decoding stops.
    void gap(std::vector<Payload>& out) noexcept;
    // End of the stream: reports a message left incomplete.
    void finish(std::vector<Payload>& out) noexcept;

    bool stopped() const { return stopped_; }
    std::size_t buffered() const { return buffer_.size(); }

private:
    void stop(std::string what, std::string message, std::vector<Payload>& out);
    // Emits the messages at the start of `buf`; returns how many bytes they (and keep-alives)
    // took. Throws only on allocation failure.
    std::size_t frame(std::string_view buf, std::vector<Payload>& out);

    SipLimits limits_;
    std::string buffer_;
    std::size_t scanned_ = 0;  // bytes of buffer_ already searched for the end of headers
    bool stopped_ = false;
};

}  // namespace decoder
