#include "decoder/sip/sip_parser.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <utility>

#include "decoder/sip/sip_headers.hpp"

namespace decoder {

namespace {

enum class Header { Via, CallId, CSeq, From, To, Contact, UserAgent, Server, MsDiagnostics, ContentLength, Other };

struct HeaderView {
    Header kind = Header::Other;
    std::string_view value;  // may span folded lines; unfolded when copied
    bool folded = false;     // it does (only then can it hold a line break)
};

std::atomic<std::size_t> process_max_bytes{SipLimits{}.max_message_bytes};
std::atomic<std::size_t> process_max_headers{SipLimits{}.max_headers};

// Position just past the blank line that ends the header section, or npos.
// Accepts CRLF and bare LF line ends (some stacks send LF only).
std::size_t find_header_end(std::string_view buf) {
    for (std::size_t i = buf.find('\n'); i != std::string_view::npos; i = buf.find('\n', i + 1)) {
        std::size_t j = i + 1;
        if (j < buf.size() && buf[j] == '\r') ++j;
        if (j < buf.size() && buf[j] == '\n') return j + 1;
    }
    return std::string_view::npos;
}

// A header value with each line fold (CRLF + whitespace) replaced by one space, trimmed. The
// usual value holds no line break and is returned as a view into the message; a folded one is
// appended to `unfolded` and viewed there. `room` is at least the length of all the values
// unfolded into it together (an unfolded value is never longer than the folded one): reserved
// at once, it keeps earlier views into `unfolded` valid. This is the copy, for a value that
// has a line break or a lone CR; unfold() below picks it.
std::string_view unfold_copy(std::string_view v, std::string& unfolded, std::size_t room) {
    if (unfolded.capacity() < room) unfolded.reserve(room);
    const auto start = unfolded.size();
    auto& scratch = unfolded;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const char c = v[i];
        if (c == '\r' || c == '\n') {
            while (i + 1 < v.size() && (v[i + 1] == '\r' || v[i + 1] == '\n' || v[i + 1] == ' ' ||
                                        v[i + 1] == '\t'))
                ++i;
            scratch += ' ';
        } else {
            scratch += c;
        }
    }
    return trim(std::string_view(unfolded).substr(start));
}

// The usual value, on one line with no CR in it, is only trimmed (inline: this runs for every
// header kept); a lone CR is still replaced.
inline std::string_view unfold(const HeaderView& h, std::string& unfolded, std::size_t room) {
    if (!h.folded && std::memchr(h.value.data(), '\r', h.value.size()) == nullptr) return trim(h.value);
    return unfold_copy(h.value, unfolded, room);
}

std::string_view next_line(std::string_view buf, std::size_t& pos) {
    const auto nl = buf.find('\n', pos);
    const auto end = nl == std::string_view::npos ? buf.size() : nl;
    auto line = buf.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = nl == std::string_view::npos ? buf.size() : nl + 1;
    return line;
}

template <class Int>
bool parse_int(std::string_view s, Int& out) {
    s = trim(s);
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size() && !s.empty();
}

// A status code of three digits is read without from_chars; any other text goes through it
// (and the range check after it), as before.
bool parse_status(std::string_view code, int& status) {
    const auto digit = [&](std::size_t i) { return code[i] >= '0' && code[i] <= '9'; };
    if (code.size() != 3 || !digit(0) || !digit(1) || !digit(2)) return parse_int(code, status);
    status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    return true;
}

bool parse_start_line(std::string_view line, SipMessage& m, std::string& error) {
    const auto sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) {
        error = "malformed SIP start line";
        return false;
    }
    if (line.substr(0, sp1) == "SIP/2.0") {
        const auto sp2 = line.find(' ', sp1 + 1);
        m.is_request = false;
        const auto code = line.substr(sp1 + 1, sp2 == std::string_view::npos ? sp2 : sp2 - sp1 - 1);
        if (!parse_status(code, m.status) || m.status < 100 || m.status > 699) {
            error = "bad SIP status code '" + std::string(code.substr(0, 16)) + "'";
            return false;
        }
        if (sp2 != std::string_view::npos) m.reason = line.substr(sp2 + 1);
        return true;
    }
    const auto sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.substr(sp2 + 1) != "SIP/2.0") {
        error = "malformed SIP request line";
        return false;
    }
    m.is_request = true;
    m.method = line.substr(0, sp1);
    m.request_uri = line.substr(sp1 + 1, sp2 - sp1 - 1);
    return true;
}

// Header names are ASCII; tolower() would look up the locale for every byte.
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Whether the word at `name` equals the one at `lower` (a known name: lower-case letters and
// '-') but for the case of its letters: OR-ing 0x20 into a letter's byte lower-cases it, and
// only 'X' and 'x' become 'x' that way. The letters are the bytes of `lower` with bit 0x40
// set ('-' has it clear), so that bit shifted down is the 0x20 to OR in; other bytes are
// compared as they are.
template <class Word>
bool word_iequals(const char* name, const char* lower) {
    Word n, l;
    std::memcpy(&n, name, sizeof n);
    std::memcpy(&l, lower, sizeof l);
    const Word fold = static_cast<Word>((l & static_cast<Word>(0x4040404040404040ull)) >> 1);
    return (n | fold) == l;
}

// a equals the known name `lower`, ASCII case ignored. Names of 4 bytes or more are compared
// as two words that may overlap (the first and the last 4 or 8 bytes).
// Inlined into header_kind, where `lower` is a literal: its length and words become constants.
[[gnu::always_inline]] inline bool iequals(std::string_view a, std::string_view lower) {
    const std::size_t n = a.size();
    if (n != lower.size()) return false;
    if (n >= 8)
        return word_iequals<std::uint64_t>(a.data(), lower.data()) &&
               word_iequals<std::uint64_t>(a.data() + n - 8, lower.data() + n - 8);
    if (n >= 4)
        return word_iequals<std::uint32_t>(a.data(), lower.data()) &&
               word_iequals<std::uint32_t>(a.data() + n - 4, lower.data() + n - 4);
    for (std::size_t i = 0; i < n; ++i)
        if (ascii_lower(a[i]) != lower[i]) return false;
    return true;
}

// Which of the headers we keep this is, compact forms included, without allocating: this
// runs for every header of every message.
Header header_kind(std::string_view name) {
    if (name.size() == 1) {
        switch (ascii_lower(name[0])) {
            case 'v': return Header::Via;
            case 'i': return Header::CallId;
            case 'f': return Header::From;
            case 't': return Header::To;
            case 'm': return Header::Contact;
            case 'l': return Header::ContentLength;
            default: return Header::Other;
        }
    }
    // Only the names of the same length are compared (a macro-free lambda would not be
    // inlined, and each comparison is a few instructions once inlined).
    const auto is = [&](std::string_view known, Header kind)
                        __attribute__((always_inline)) { return iequals(name, known) ? kind : Header::Other; };
    switch (name.size()) {
        case 2: return is("to", Header::To);
        case 3: return is("via", Header::Via);
        case 4: return name[0] == 'c' || name[0] == 'C' ? is("cseq", Header::CSeq) : is("from", Header::From);
        case 6: return is("server", Header::Server);
        case 7: return name[1] == 'a' || name[1] == 'A' ? is("call-id", Header::CallId) : is("contact", Header::Contact);
        case 10: return is("user-agent", Header::UserAgent);
        case 14:
            return name[0] == 'm' || name[0] == 'M' ? is("ms-diagnostics", Header::MsDiagnostics)
                                                    : is("content-length", Header::ContentLength);
        default: return Header::Other;
    }
}

// Fills the message's named fields from one header (views into the message or `unfolded`).
// `room` as unfold() needs it: each header is unfolded at most once here.
// Inlined into its one caller, which runs it for every header.
[[gnu::always_inline]] inline void apply_header(const HeaderView& h, SipMessage& m, std::string& unfolded, std::size_t room) {
    using enum Header;
    // First whether the value is wanted (a folded one is unfolded only then), so that the
    // value is unfolded in one place, inlined.
    switch (h.kind) {
        case From: if (!m.from.empty()) return; break;
        case To: if (!m.to.empty()) return; break;
        case Contact: if (!m.contact.empty()) return; break;
        case MsDiagnostics: if (m.ms_diagnostics) return; break;
        case ContentLength:
        case Other: return;
        default: break;
    }
    const auto value = unfold(h, unfolded, room);
    switch (h.kind) {
        case Via: append_header_list(value, m.via); return;
        case CallId: m.call_id = value; return;
        case CSeq: {
            m.cseq = value;
            const auto sp = m.cseq.find(' ');
            parse_int(m.cseq.substr(0, sp), m.cseq_number);
            if (!m.is_request && sp != std::string_view::npos) m.method = trim(m.cseq.substr(sp + 1));
            return;
        }
        case From: m.from = value; return;
        case To: m.to = value; return;
        case Contact: m.contact = value; return;
        case UserAgent: m.user_agent = value; return;
        case Server: m.server = value; return;
        case MsDiagnostics: m.ms_diagnostics = parse_ms_diagnostics(value); return;
        case ContentLength:
        case Other: return;
    }
}

}  // namespace

SipGuess looks_like_sip(std::string_view b) noexcept {
    while (!b.empty() && (b.front() == '\r' || b.front() == '\n')) b.remove_prefix(1);
    constexpr std::string_view kVersion = "SIP/2.0 ";
    bool in_version = true;  // b[0..i] is a prefix of kVersion (kept byte by byte, not compared again)
    for (std::size_t i = 0; i < b.size() && i < 32; ++i) {
        const char c = b[i];
        if (c == ' ') return i >= 3 ? SipGuess::Yes : SipGuess::No;
        in_version = in_version && i < kVersion.size() && c == kVersion[i];
        if (!in_version && !(c >= 'A' && c <= 'Z') && c != '-') return SipGuess::No;
    }
    return b.size() >= 32 ? SipGuess::No : SipGuess::NeedMore;
}

SipLimits process_sip_limits() noexcept {
    return {process_max_bytes.load(std::memory_order_relaxed), process_max_headers.load(std::memory_order_relaxed)};
}

void set_process_sip_limits(SipLimits limits) noexcept {
    process_max_bytes = std::clamp<std::size_t>(limits.max_message_bytes, 1, kMaxSipBytesCeiling);
    process_max_headers = std::clamp<std::size_t>(limits.max_headers, 1, kMaxSipHeadersCeiling);
}

ParseResult<SipMessage> parse_sip_message(std::string_view buf, SipFraming framing,
                                          const SipLimits& limits) noexcept {
    using R = ParseResult<SipMessage>;
    try {
        // One pass over the lines finds the end of the header section and parses them. A
        // missing end wins over a malformed line (a stream may still be receiving it), so
        // an error is only reported once the end is known to exist.
        const auto no_end = [&]() -> R {
            if (buf.size() > limits.max_message_bytes)
                return R::failure("SIP header section exceeds " +
                                  std::to_string(limits.max_message_bytes) + " bytes");
            if (framing == SipFraming::Datagram) return R::failure("SIP datagram has no end of headers");
            return R::incomplete();
        };
        const auto fail = [&](std::string error) -> R {
            return find_header_end(buf) == std::string_view::npos ? no_end() : R::failure(std::move(error));
        };
        R result;
        SipMessage& m = result.value;
        std::size_t pos = 0;
        std::string error;
        if (!parse_start_line(next_line(buf, pos), m, error)) return fail(error);

        // Each header is applied as soon as the next line shows it is not folded any further,
        // so no list of the headers is kept. A bad Content-Length is reported only once every
        // line is known to be well formed, as a malformed line is the more basic fault.
        HeaderView current;
        bool have_current = false;
        std::size_t count = 0;
        const std::size_t max_headers = std::min(limits.max_headers, kMaxSipHeadersCeiling);
        std::optional<std::size_t> content_length;
        std::optional<std::string> bad_length;
        // Folded values, unfolded (rare); the header values together are shorter than buf.
        std::string unfolded;
        std::string scratch;  // Content-Length's value, which no field keeps
        // Inlined into its one call (the compiler would not: this function is long).
        const auto apply = [&](const HeaderView& h) __attribute__((always_inline)) {
            if (h.kind != Header::ContentLength) return apply_header(h, m, unfolded, buf.size());
            if (bad_length) return;
            std::size_t n = 0;
            scratch.clear();
            const auto text = unfold(h, scratch, h.value.size());
            if (parse_int(text, n)) content_length = n;
            else bad_length = "bad Content-Length '" + std::string(text.substr(0, 20)) + "'";
        };
        // Lines are cut with pointers: one memchr finds each line's end, another the colon
        // within the line (a word-at-a-time scan of the name measured no cheaper).
        const char* const begin = buf.data();
        const char* const end = begin + buf.size();
        const char* next = begin + pos;
        std::size_t header_end = 0;
        for (;;) {
            const auto* nl = static_cast<const char*>(std::memchr(next, '\n', static_cast<std::size_t>(end - next)));
            if (nl == nullptr) return no_end();
            const char* const line = next;
            const char* const line_end = nl != line && nl[-1] == '\r' ? nl - 1 : nl;
            next = nl + 1;
            // The blank line: "\n" then "\r\n" or "\n". It, like a header line, ends the
            // header before it (one place applies headers, so the compiler inlines it).
            const bool blank = line == line_end;
            const char* colon = nullptr;
            if (!blank) {
                if (*line == ' ' || *line == '\t') {  // folded continuation
                    if (!have_current) return fail("SIP header continuation before any header");
                    current.value = {current.value.data(), static_cast<std::size_t>(line_end - current.value.data())};
                    current.folded = true;
                    continue;
                }
                colon = static_cast<const char*>(std::memchr(line, ':', static_cast<std::size_t>(line_end - line)));
                if (colon == nullptr) colon = line_end;
                if (colon == line_end || colon == line)
                    return fail("malformed SIP header line '" +
                                std::string(std::string_view(line, static_cast<std::size_t>(line_end - line)).substr(0, 40)) + "'");
                if (count >= max_headers)
                    return fail("more than " + std::to_string(limits.max_headers) + " SIP headers");
            }
            if (have_current) apply(current);
            if (blank) {
                header_end = static_cast<std::size_t>(next - begin);
                break;
            }
            // The name starts with neither space nor tab (that would be a continuation): only
            // its end is trimmed.
            const char* name_end = colon;
            while (name_end[-1] == ' ' || name_end[-1] == '\t') --name_end;
            current = {header_kind({line, static_cast<std::size_t>(name_end - line)}),
                       {colon + 1, static_cast<std::size_t>(line_end - colon - 1)}};
            have_current = true;
            ++count;
        }
        if (bad_length) return R::failure(*bad_length);
        if (content_length) m.content_length = *content_length;
        std::size_t body = content_length.value_or(
            framing == SipFraming::Datagram ? buf.size() - header_end : 0);
        if (body > limits.max_message_bytes || header_end + body > limits.max_message_bytes)
            return R::failure("SIP message of " + std::to_string(header_end + body) +
                              " bytes exceeds the " + std::to_string(limits.max_message_bytes) +
                              " byte limit");
        if (header_end + body > buf.size()) {
            if (framing == SipFraming::Datagram)
                return R::failure("Content-Length " + std::to_string(body) + " exceeds the " +
                                  std::to_string(buf.size() - header_end) + " body bytes in the datagram");
            return R::incomplete();
        }
        result.status = ParseStatus::Complete;
        result.consumed = framing == SipFraming::Datagram ? buf.size() : header_end + body;
        m.bytes = header_end + body;
        m.keep(buf.substr(0, header_end + body), unfolded);
        return result;
    } catch (const std::exception& e) {  // allocation failure: never escapes the decoder
        return R::failure(std::string("SIP parser: ") + e.what());
    }
}

}  // namespace decoder
