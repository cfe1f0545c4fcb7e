// TLS record and handshake framing over stream bytes; see tls_records.hpp.
#include "decoder/tls/tls_records.hpp"

#include <algorithm>

namespace decoder::tls {
namespace {

unsigned byte_at(Bytes in, std::size_t i) noexcept { return std::to_integer<unsigned>(in[i]); }

std::string hex2(unsigned v) {
    static constexpr char digits[] = "0123456789abcdef";
    return {'0', 'x', digits[(v >> 4) & 0xf], digits[v & 0xf]};
}

}  // namespace

ParseResult<Record> parse_record(Bytes in) noexcept {
    using R = ParseResult<Record>;
    if (!in.empty()) {
        const unsigned type = byte_at(in, 0);
        if (type < change_cipher_spec || type > heartbeat)
            return R::failure("not a TLS record: content type " + hex2(type));
    }
    if (in.size() >= 2 && byte_at(in, 1) != 3)
        return R::failure("not a TLS record: version major " + hex2(byte_at(in, 1)));
    if (in.size() >= 3 && byte_at(in, 2) > 4)
        return R::failure("not a TLS record: version 0x03" + hex2(byte_at(in, 2)).substr(2));
    R r;
    if (in.size() < record_header_size) return r;
    const std::size_t length = byte_at(in, 3) << 8 | byte_at(in, 4);
    if (length > max_record_body)
        return R::failure("TLS record of " + std::to_string(length) + " bytes exceeds the cap of " +
                       std::to_string(max_record_body) + " bytes");
    if (in.size() < record_header_size + length) return r;
    r.status = ParseStatus::Complete;
    r.consumed = record_header_size + length;
    r.value.type = static_cast<std::uint8_t>(byte_at(in, 0));
    r.value.version = static_cast<std::uint16_t>(byte_at(in, 1) << 8 | byte_at(in, 2));
    r.value.fragment = in.subspan(record_header_size, length);
    return r;
}

ParseResult<HandshakeMessage> parse_handshake(Bytes in) noexcept {
    using R = ParseResult<HandshakeMessage>;
    R r;
    if (in.size() < handshake_header_size) return r;
    const std::size_t length = byte_at(in, 1) << 16 | byte_at(in, 2) << 8 | byte_at(in, 3);
    if (length > max_handshake_body)
        return R::failure("handshake message of " + std::to_string(length) +
                       " bytes exceeds the cap of " + std::to_string(max_handshake_body) + " bytes");
    if (in.size() < handshake_header_size + length) return r;
    r.status = ParseStatus::Complete;
    r.consumed = handshake_header_size + length;
    r.value.type = static_cast<std::uint8_t>(byte_at(in, 0));
    r.value.body = in.subspan(handshake_header_size, length);
    return r;
}

std::size_t record_missing(Bytes in) noexcept {
    if (in.size() < record_header_size) return record_header_size - in.size();
    const std::size_t total = record_header_size + (byte_at(in, 3) << 8 | byte_at(in, 4));
    return total > in.size() ? total - in.size() : 0;
}

std::size_t handshake_missing(Bytes in) noexcept {
    if (in.size() < handshake_header_size) return handshake_header_size - in.size();
    const std::size_t total =
        handshake_header_size + (byte_at(in, 1) << 16 | byte_at(in, 2) << 8 | byte_at(in, 3));
    return total > in.size() ? total - in.size() : 0;
}

template <class Frame>
ParseResult<Frame> FrameReader<Frame>::next(Bytes& input) noexcept {
    if (delivered_) {
        buffer_.clear();
        delivered_ = false;
    }
    if (buffer_.empty()) {
        auto r = parse_(input);
        if (r.status == ParseStatus::Complete) {
            input = input.subspan(r.consumed);
        } else if (r.status == ParseStatus::Incomplete) {
            buffer_.assign(input.begin(), input.end());
            r.consumed = input.size();
            input = {};
        }
        return r;
    }
    // A frame is partly buffered: top it up with no more than it still needs.
    std::size_t taken = 0;
    for (;;) {
        auto r = parse_(buffer_);
        r.consumed = taken;
        if (r.status == ParseStatus::Complete) delivered_ = true;
        if (r.status != ParseStatus::Incomplete || input.empty()) return r;
        const std::size_t n = std::min(missing_(buffer_), input.size());
        if (n == 0) return ParseResult<Frame>::failure("frame length inconsistent");  // unreachable
        buffer_.insert(buffer_.end(), input.begin(), input.begin() + static_cast<std::ptrdiff_t>(n));
        input = input.subspan(n);
        taken += n;
    }
}

template class FrameReader<Record>;
template class FrameReader<HandshakeMessage>;

bool ByteReader::u8(std::uint8_t& out) noexcept {
    if (data_.empty()) return false;
    out = static_cast<std::uint8_t>(byte_at(data_, 0));
    data_ = data_.subspan(1);
    return true;
}

bool ByteReader::u16(std::uint16_t& out) noexcept {
    if (data_.size() < 2) return false;
    out = static_cast<std::uint16_t>(byte_at(data_, 0) << 8 | byte_at(data_, 1));
    data_ = data_.subspan(2);
    return true;
}

bool ByteReader::u24(std::uint32_t& out) noexcept {
    if (data_.size() < 3) return false;
    out = byte_at(data_, 0) << 16 | byte_at(data_, 1) << 8 | byte_at(data_, 2);
    data_ = data_.subspan(3);
    return true;
}

bool ByteReader::bytes(std::size_t n, Bytes& out) noexcept {
    if (data_.size() < n) return false;
    out = data_.first(n);
    data_ = data_.subspan(n);
    return true;
}

bool ByteReader::vec8(Bytes& out) noexcept {
    ByteReader copy = *this;
    std::uint8_t n = 0;
    if (!copy.u8(n) || !copy.bytes(n, out)) return false;
    *this = copy;
    return true;
}

bool ByteReader::vec16(Bytes& out) noexcept {
    ByteReader copy = *this;
    std::uint16_t n = 0;
    if (!copy.u16(n) || !copy.bytes(n, out)) return false;
    *this = copy;
    return true;
}

bool ByteReader::vec24(Bytes& out) noexcept {
    ByteReader copy = *this;
    std::uint32_t n = 0;
    if (!copy.u24(n) || !copy.bytes(n, out)) return false;
    *this = copy;
    return true;
}

}  // namespace decoder::tls
