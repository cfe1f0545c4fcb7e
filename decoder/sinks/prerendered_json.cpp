#include "decoder/sinks/prerendered_json.hpp"

#include <charconv>
#include <limits>

#include "decoder/sinks/json_writer.hpp"

namespace decoder {

namespace {

// The placeholder: the widest seq there is, so no real line is ever longer than its cut.
constexpr std::uint64_t kPlaceholder = std::numeric_limits<std::uint64_t>::max();

}  // namespace

std::size_t render_json_line(Event& event, std::string& out) {
    const std::uint64_t seq = event.seq;
    event.seq = kPlaceholder;
    std::size_t seq_at = std::string::npos;
    append_json(event, out, &seq_at);
    event.seq = seq;
    out += '\n';
    return seq_at;
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
