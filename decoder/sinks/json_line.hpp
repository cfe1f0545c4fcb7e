// A JSON line written in place: a cursor into a std::string's own storage. Each member first
// makes room for its worst case (one inline comparison, `room`), so what it writes are plain
// stores: before, every key, quote and run of text was a std::string::append call of its own,
// and those calls were most of the cost of `read --json`.
#pragma once

#include <array>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "decoder/base/utf8.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace decoder::json {

// Bytes written as they are inside a JSON string: printable ASCII but '"' and '\\'.
inline constexpr std::array<bool, 256> kPlain = [] {
    std::array<bool, 256> plain{};
    for (int c = 0x20; c < 0x80; ++c) plain[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
    return plain;
}();

// The most bytes one input byte can become inside a JSON string ("\u001f").
inline constexpr std::size_t kMaxEscape = 6;
// Room to make before escaping n bytes. The block stores of `escaped` stay inside it: a block
// is only stored whole where at least its size in bytes is left to escape.
inline constexpr std::size_t escape_room(std::size_t n) { return kMaxEscape * n; }

// The word-at-a-time scans read bytes in memory order from a word's low end.
inline constexpr bool kWordScan = std::endian::native == std::endian::little;

// Bit 7 of each byte of the word x that needs escaping: a control byte (< 0x20), a byte
// >= 0x80, '"' or '\\' (the classic "has a zero byte" trick, on each condition at once). Bits
// above the lowest one set may be false alarms (borrows); the lowest one is exact, and a byte
// that needs escaping is never missed.
template <class Word>
inline Word special_bits(Word x) {
    constexpr Word ones = static_cast<Word>(0x0101010101010101ull), highs = static_cast<Word>(0x8080808080808080ull);
    const auto has_zero = [](Word v) { return static_cast<Word>((v - ones) & ~v & highs); };
    const Word below_space = static_cast<Word>((x - ones * 0x20) & ~x & highs);
    return static_cast<Word>((x & highs) | below_space | has_zero(x ^ (ones * '"')) | has_zero(x ^ (ones * '\\')));
}

template <class Word>
inline Word load(const char* p) {
    Word x;
    std::memcpy(&x, p, sizeof x);
    return x;
}

#if defined(__SSE2__)
// The widest block checked at once, and the mask bits per byte of its check.
inline constexpr std::size_t kWide = 16, kWideUnit = 1;
// One bit per byte of the 16 at p that needs escaping (bit i for p[i]).
inline std::uint64_t wide_mask(const char* p) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // A signed compare: bytes >= 0x80 are negative, so this also catches them.
    const __m128i control_or_high = _mm_cmplt_epi8(x, _mm_set1_epi8(0x20));
    const __m128i quote = _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
    const __m128i backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
    return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(control_or_high, _mm_or_si128(quote, backslash))));
}
#else
inline constexpr std::size_t kWide = 8, kWideUnit = 8;
inline std::uint64_t wide_mask(const char* p) { return special_bits(load<std::uint64_t>(p)); }
#endif

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

    // Where the next byte goes, from the start of `out`.
    std::size_t offset() const { return static_cast<std::size_t>(p_ - out_.data()); }
    // Makes room for n more bytes; every write below must be covered by one.
    void room(std::size_t n) {
        if (static_cast<std::size_t>(end_ - p_) < n) grow(n);
    }
    void put(char c) { *p_++ = c; }
    void put(std::string_view s) {
        std::memcpy(p_, s.data(), s.size());
        p_ += s.size();
    }
    // put() for a short text such as a key: as one or two overlapping word copies (never
    // reading or writing outside s and its place) rather than a memcpy call of unknown size.
    void put_short(std::string_view s) {
        const std::size_t n = s.size();
        const char* in = s.data();
        if (n > 16) return put(s);
        if (n >= 8) {
            std::memcpy(p_, in, 8);
            std::memcpy(p_ + n - 8, in + n - 8, 8);
        } else if (n >= 4) {
            std::memcpy(p_, in, 4);
            std::memcpy(p_ + n - 4, in + n - 4, 4);
        } else {
            for (std::size_t i = 0; i < n; ++i) p_[i] = in[i];
        }
        p_ += n;
    }
    template <class Int> void number(Int v) { p_ = std::to_chars(p_, p_ + 24, v).ptr; }  // room(24)
    char* cursor() { return p_; }
    void advance_to(char* p) { p_ = p; }
    std::size_t written_since(const char* mark) const { return static_cast<std::size_t>(p_ - mark); }

    // The JSON escape of s, without quotes; needs room(escape_room(s.size())).
    // Most text needs no escape: plain runs are found a block at a time (16 bytes with SSE2,
    // else 8; 4 for short values) and copied with whole-block stores. While everything so far
    // was copied as it is, the last 1-15 bytes are checked as the value's last block (never
    // reading before or past s) and stored where that block's copy belongs. Only what needs
    // escaping, and the last 1-3 bytes of values shorter than 4, go byte by byte.
    void escaped(std::string_view s) {
        if (copy_if_plain(s.data(), s.size())) return;
        const char* const begin = s.data();
        const char* const end = begin + s.size();
        const char* in = begin;
        char* const out = p_;
        char* p = out;
        while (in != end) {
            if constexpr (kWordScan) {
                const auto left = static_cast<std::size_t>(end - in);
                if (left >= kWide) {
                    const std::uint64_t m = wide_mask(in);
                    std::memcpy(p, in, kWide);
                    const std::size_t k = m ? static_cast<std::size_t>(std::countr_zero(m)) / kWideUnit : kWide;
                    p += k;
                    in += k;
                    if (!m) continue;
                } else {
                    // Every transformation but a plain copy makes the text longer, so equal
                    // lengths mean out holds s's bytes as they are so far.
                    const bool verbatim = p - out == in - begin;
                    if (verbatim && s.size() >= kWide &&
                        (wide_mask(end - kWide) >> ((kWide - left) * kWideUnit)) == 0) {
                        std::memcpy(out + s.size() - kWide, end - kWide, kWide);
                        p += left;
                        break;
                    }
                    if (left >= 4) {
                        const std::uint32_t m = special_bits(load<std::uint32_t>(in));
                        std::memcpy(p, in, 4);
                        const std::size_t k = m ? static_cast<std::size_t>(std::countr_zero(m)) / 8 : 4;
                        p += k;
                        in += k;
                        if (!m) continue;
                    } else if (verbatim && s.size() >= 4 &&
                               (special_bits(load<std::uint32_t>(end - 4)) >> ((4 - left) * 8)) == 0) {
                        std::memcpy(out + s.size() - 4, end - 4, 4);
                        p += left;
                        break;
                    }
                }
            }
            p = escape_one(s, in, p);
        }
        p_ = p;
    }
    // A quoted, escaped string value.
    void string(std::string_view s) {
        room(escape_room(s.size()) + 2);
        put('"');
        escaped(s);
        put('"');
    }

private:
    // The usual value needs no escape at all. This checks and copies it whole-block, with the
    // value's last block overlapping the one before it (never reading outside the value), and
    // only then moves the cursor; false (the cursor unmoved) at the first byte to escape, and
    // escaped() then starts over with its general loop. Existence is exact in special_bits.
    bool copy_if_plain(const char* in, std::size_t n) {
        char* const p = p_;
        if (n >= kWide) {
            const char* const last = in + n - kWide;
            for (const char* q = in; q < last; q += kWide) {
                if (wide_mask(q)) return false;
                std::memcpy(p + (q - in), q, kWide);
            }
            if (wide_mask(last)) return false;
            std::memcpy(p + n - kWide, last, kWide);
        } else if (n >= 8) {
            const auto head = load<std::uint64_t>(in), tail = load<std::uint64_t>(in + n - 8);
            if (special_bits(head) | special_bits(tail)) return false;
            std::memcpy(p, &head, 8);
            std::memcpy(p + n - 8, &tail, 8);
        } else if (n >= 4) {
            const auto head = load<std::uint32_t>(in), tail = load<std::uint32_t>(in + n - 4);
            if (special_bits(head) | special_bits(tail)) return false;
            std::memcpy(p, &head, 4);
            std::memcpy(p + n - 4, &tail, 4);
        } else {
            for (std::size_t i = 0; i < n; ++i) {
                if (!kPlain[static_cast<unsigned char>(in[i])]) return false;
                p[i] = in[i];
            }
        }
        p_ = p + n;
        return true;
    }

    // Writes s's byte at `in` (and a valid UTF-8 sequence starting there) as JSON wants it;
    // returns the new cursor and advances `in`.
    static char* escape_one(std::string_view s, const char*& in, char* p) {
        static constexpr char kHex[] = "0123456789abcdef";
        const auto c = static_cast<unsigned char>(*in);
        if (kPlain[c]) {
            *p++ = *in++;
            return p;
        }
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
            ++in;
            return p + 2;
        }
        if (c < 0x20) {
            std::memcpy(p, "\\u00", 4);
            p[4] = kHex[c >> 4];
            p[5] = kHex[c & 0xF];
            ++in;
            return p + 6;
        }
        if (const auto n = utf8_length(s, static_cast<std::size_t>(in - s.data()))) {
            std::memcpy(p, in, n);
            in += n;
            return p + n;
        }
        std::memcpy(p, "\xEF\xBF\xBD", 3);  // U+FFFD for a byte that is not UTF-8
        ++in;
        return p + 3;
    }

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
