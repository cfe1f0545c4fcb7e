#include "decoder/sip/sip_stream.hpp"

#include <cctype>
#include <cstdio>

namespace decoder {

namespace {

bool has_header_end(std::string_view buf, std::size_t from) {
    // Look back 3 bytes so a "\r\n\r\n" split across feeds is found.
    from = from > 3 ? from - 3 : 0;
    for (auto i = buf.find('\n', from); i != std::string_view::npos; i = buf.find('\n', i + 1)) {
        std::size_t j = i + 1;
        if (j < buf.size() && buf[j] == '\r') ++j;
        if (j < buf.size() && buf[j] == '\n') return true;
    }
    return false;
}

}  // namespace

void SipStream::stop(std::string what, std::string message, std::vector<Payload>& out) {
    out.emplace_back(Notice{std::move(what), std::move(message)});
    stopped_ = true;
    buffer_.clear();
    buffer_.shrink_to_fit();
}

void SipStream::feed(std::span<const std::byte> data, std::vector<Payload>& out) noexcept {
    if (stopped_ || data.empty()) return;
    try {
        const std::string_view input(reinterpret_cast<const char*>(data.data()), data.size());
        std::size_t used = 0;
        if (buffer_.empty()) {
            // The usual case (a record or segment holding whole messages): they are parsed
            // where they lie, and only an unfinished tail is kept.
            used = frame(input, out);
            if (!stopped_) buffer_.assign(input.substr(used));
        } else {
            buffer_.append(input);
            used = frame(buffer_, out);
            if (!stopped_) buffer_.erase(0, used);
        }
        scanned_ = scanned_ > used ? scanned_ - used : 0;
    } catch (const std::exception& e) {
        stop("sip-error", std::string("SIP stream: ") + e.what(), out);
    }
}

std::size_t SipStream::frame(std::string_view buf, std::vector<Payload>& out) {
    std::size_t offset = 0;  // start of the unparsed part of buf
    for (;;) {
        std::string_view rest = buf.substr(offset);
        // CRLF keep-alives (RFC 5626) between messages are not messages.
        const auto skip = rest.find_first_not_of("\r\n");
        if (skip == std::string_view::npos) return buf.size();
        offset += skip;
        rest.remove_prefix(skip);
        if (looks_like_sip(rest) == SipGuess::No) {
            // Name only the first byte: what else is buffered depends on how the stream was cut.
            char first[48];
            const auto c = static_cast<unsigned char>(rest.front());
            std::snprintf(first, sizeof first, "not a SIP message (starts with byte 0x%02x%s%c%s)", c,
                          std::isprint(c) ? " '" : "", std::isprint(c) ? static_cast<char>(c) : ' ',
                          std::isprint(c) ? "'" : "");
            stop("sip-error", first, out);
            return buf.size();
        }
        const auto scan_from = scanned_ > offset ? scanned_ - offset : 0;
        if (!has_header_end(rest, scan_from)) {
            scanned_ = buf.size();
            if (rest.size() > limits_.max_message_bytes) {
                stop("sip-error", "SIP header section exceeds " + std::to_string(limits_.max_message_bytes) + " bytes",
                     out);
                return buf.size();
            }
            return offset;
        }
        auto result = parse_sip_message(rest, SipFraming::Stream, limits_);
        if (result.status == ParseStatus::Error) {
            stop("sip-error", result.error, out);
            return buf.size();
        }
        if (result.status == ParseStatus::Incomplete) {
            scanned_ = offset;  // headers are complete, the body is not: parse again later
            return offset;
        }
        out.emplace_back(std::move(result.value));
        offset += result.consumed;
        scanned_ = offset;
    }
}

void SipStream::gap(std::vector<Payload>& out) noexcept {
    if (stopped_) return;
    try {
        // The connection reports the gap itself; here only what it costs this stream.
        if (buffer_.empty()) {
            stopped_ = true;
            return;
        }
        stop("sip-error", "SIP decoding of this direction stops at the gap; " +
                              std::to_string(buffer_.size()) + " bytes of an unfinished message are lost",
             out);
    } catch (...) {
        stopped_ = true;
    }
}

void SipStream::finish(std::vector<Payload>& out) noexcept {
    if (stopped_ || buffer_.empty()) return;
    try {
        stop("sip-error", "stream ended inside a SIP message (" + std::to_string(buffer_.size()) +
                              " bytes unfinished)", out);
    } catch (...) {
        stopped_ = true;
    }
}

}  // namespace decoder
