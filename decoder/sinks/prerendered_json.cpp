#include "decoder/sinks/prerendered_json.hpp"

#include <charconv>
#include <cstring>
#include <limits>

#include "decoder/sinks/json_writer.hpp"

namespace decoder {

namespace {

// The placeholder: the widest seq there is, so no real line is ever longer than its cut.
constexpr std::uint64_t kPlaceholder = std::numeric_limits<std::uint64_t>::max();
// `"seq":` can only be the key: inside a JSON string every quote is escaped.
constexpr std::string_view kSeqKey = "\"seq\":18446744073709551615";

}  // namespace

std::size_t render_json_line(Event& event, std::string& out) {
    const std::size_t start = out.size();
    const std::uint64_t seq = event.seq;
    event.seq = kPlaceholder;
    append_json(event, out);
    event.seq = seq;
    out += '\n';
    // memmem skips ahead by up to the key's length: most of a SIP line is raw text. The
    // placeholder occurs once (see kSeqKey).
    const void* at = memmem(out.data() + start, out.size() - start, kSeqKey.data(), kSeqKey.size());
    if (at == nullptr) return std::string::npos;
    return static_cast<std::size_t>(static_cast<const char*>(at) - out.data()) + kSeqKey.find('1');
}

RenderedLine cut_json_line(std::string_view out, std::size_t start, std::size_t at, std::size_t end) {
    constexpr std::size_t digits = std::numeric_limits<std::uint64_t>::digits10 + 1;  // 20
    return {out.substr(start, at - start), out.substr(at + digits, end - at - digits)};
}

void PrerenderedJsonSink::append_line(const Event& event, std::string& lines) {
    if (event.seq != expected_seq_) {
        JsonSink::append_line(event, lines);
        return;
    }
    lines += expected_.before_seq;
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, event.seq).ptr;
    lines.append(digits, end);
    lines += expected_.after_seq;
    expected_seq_ = 0;
}

}  // namespace decoder
