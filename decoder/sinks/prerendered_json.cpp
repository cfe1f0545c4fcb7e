#include "decoder/sinks/prerendered_json.hpp"

#include <charconv>

#include "decoder/sinks/json_writer.hpp"

namespace decoder {

std::size_t render_json_line(const Event& event, std::string& out) {
    std::size_t seq_at = std::string::npos;
    append_json(event, out, &seq_at);
    out += '\n';
    return seq_at;
}

RenderedLine cut_json_line(std::string_view out, std::size_t start, std::size_t at, std::size_t end) {
    return {out.substr(start, at - start), out.substr(at + kSeqPlaceWidth, end - at - kSeqPlaceWidth)};
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
