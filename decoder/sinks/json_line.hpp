// A JSON line written in place: a cursor into a std::string's own storage. Each member first
// makes room for its worst case (one inline comparison, `room`), so what it writes are plain
// stores: before, every key, quote and run of text was a std::string::append call of its own,
// and those calls were most of the cost of `read --json`.
#pragma once

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "decoder/base/utf8.hpp"

namespace decoder::json {

// Bytes written as they are inside a JSON string: printable ASCII but '"' and '\'.
inline constexpr std::array<bool, 256> kPlain = [] {
    std::array<bool, 256> plain{};
    for (int c = 0x20; c < 0x80; ++c) plain[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
    return plain;
}();

// The most bytes one input byte can become inside a JSON string ("\u001f").
inline constexpr std::size_t kMaxEscape = 6;

// Whether none of the 8 bytes at p needs escaping: no control byte (< 0x20), no byte >= 0x80,
// no '"' and no '\\' (the classic "has a zero byte" bit trick, on each condition at once).
inline bool all_plain8(const char* p) {
    std::uint64_t x;
    std::memcpy(&x, p, sizeof x);
    constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    const auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
    const std::uint64_t below_space = (x - ones * 0x20) & ~x & highs;
    return ((x & highs) | below_space | has_zero(x ^ (ones * '"')) | has_zero(x ^ (ones * '\\'))) == 0;
}

class Line {
public:
    // Appends to `out`; what it already holds stays.
    explicit Line(std::string& out) : out_(out) {
        const auto used = out.size();
        out.resize(used + kInitial);
        p_ = out.data() + used;
        end_ = out.data() + out.size();
    }
    // Cuts `out` back to what was written (never throws: it only shrinks).
    ~Line() { out_.resize(static_cast<std::size_t>(p_ - out_.data())); }
    Line(const Line&) = delete;
    Line& operator=(const Line&) = delete;

    // Makes room for n more bytes; every write below must be covered by one.
    void room(std::size_t n) {
        if (static_cast<std::size_t>(end_ - p_) < n) grow(n);
    }
    void put(char c) { *p_++ = c; }
    void put(std::string_view s) {
        std::memcpy(p_, s.data(), s.size());
        p_ += s.size();
    }
    template <class Int> void number(Int v) { p_ = std::to_chars(p_, p_ + 24, v).ptr; }  // room(24)
    char* cursor() { return p_; }
    void advance_to(char* p) { p_ = p; }
    std::size_t written_since(const char* mark) const { return static_cast<std::size_t>(p_ - mark); }

    // The JSON escape of s, without quotes; needs room(kMaxEscape * s.size()).
    void escaped(std::string_view s) {
        static constexpr char kHex[] = "0123456789abcdef";
        const char* in = s.data();
        const char* const end = in + s.size();
        char* p = p_;
        while (in != end) {
            // Most text needs no escape: copied 8 bytes at a time while it is plain.
            while (end - in >= 8 && all_plain8(in)) {
                std::memcpy(p, in, 8);
                p += 8;
                in += 8;
            }
            while (in != end && kPlain[static_cast<unsigned char>(*in)]) *p++ = *in++;
            if (in == end) break;
            const auto c = static_cast<unsigned char>(*in);
            const char* short_escape = nullptr;
            switch (c) {
                case '"': short_escape = "\\\""; break;
                case '\\': short_escape = "\\\\"; break;
                case '\b': short_escape = "\\b"; break;
                case '\f': short_escape = "\\f"; break;
                case '\n': short_escape = "\\n"; break;
                case '\r': short_escape = "\\r"; break;
                case '\t': short_escape = "\\t"; break;
                default: break;
            }
            if (short_escape) {
                p[0] = short_escape[0];
                p[1] = short_escape[1];
                p += 2;
                ++in;
            } else if (c < 0x20) {
                std::memcpy(p, "\\u00", 4);
                p[4] = kHex[c >> 4];
                p[5] = kHex[c & 0xF];
                p += 6;
                ++in;
            } else if (const auto n = utf8_length(s, static_cast<std::size_t>(in - s.data()))) {
                std::memcpy(p, in, n);
                p += n;
                in += n;
            } else {
                std::memcpy(p, "\xEF\xBF\xBD", 3);  // U+FFFD for a byte that is not UTF-8
                p += 3;
                ++in;
            }
        }
        p_ = p;
    }
    // A quoted, escaped string value.
    void string(std::string_view s) {
        room(kMaxEscape * s.size() + 2);
        put('"');
        escaped(s);
        put('"');
    }

private:
    // Room made at the start and at each growth. The string zero-fills it (resize), so it is
    // kept near a line's size: a SIP event's line is about 700 bytes, and a member asks for
    // its worst case, six times its text.
    static constexpr std::size_t kInitial = 2048;

    void grow(std::size_t n) {
        const auto at = static_cast<std::size_t>(p_ - out_.data());
        out_.resize(at + n + kInitial);  // the string's capacity still grows geometrically
        p_ = out_.data() + at;
        end_ = out_.data() + out_.size();
    }

    std::string& out_;
    char* p_ = nullptr;
    char* end_ = nullptr;
};

}  // namespace decoder::json
