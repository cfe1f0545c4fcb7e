#include "decoder/sinks/prerendered_json.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>

#include "decoder/sinks/json_writer.hpp"

namespace decoder {

namespace {

constexpr std::size_t kWriteSize = 64 * 1024;  // as JsonSink: one write() per this many bytes
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
    // Skips ahead by up to the key's length: most of a SIP line is its raw text, before the seq.
    static const std::boyer_moore_horspool_searcher search(kSeqKey.begin(), kSeqKey.end());
    const auto from = out.begin() + static_cast<std::ptrdiff_t>(start);
    const auto at = std::search(from, out.end(), search);
    if (at == out.end()) return std::string::npos;
    return static_cast<std::size_t>(at - out.begin()) + kSeqKey.find('1');
}

RenderedLine cut_json_line(std::string_view out, std::size_t start, std::size_t at, std::size_t end) {
    constexpr std::size_t digits = std::numeric_limits<std::uint64_t>::digits10 + 1;  // 20
    return {out.substr(start, at - start), out.substr(at + digits, end - at - digits)};
}

PrerenderedJsonSink::~PrerenderedJsonSink() {
    try {
        write_out();
    } catch (...) {  // the stream reports its own failure; nothing to add here
    }
}

void PrerenderedJsonSink::on_event(const Event& event) {
    if (event.seq == expected_seq_) {
        lines_ += expected_.before_seq;
        char digits[24];
        const auto end = std::to_chars(digits, digits + sizeof digits, event.seq).ptr;
        lines_.append(digits, end);
        lines_ += expected_.after_seq;
        expected_seq_ = 0;
    } else {
        append_json(event, lines_);
        lines_ += '\n';
    }
    if (flush_each_input_ || lines_.size() >= kWriteSize) write_out();
}

void PrerenderedJsonSink::on_flush() {
    if (!flush_each_input_) return;
    write_out();
    out_.flush();
}

void PrerenderedJsonSink::on_end() {
    write_out();
    out_.flush();
}

void PrerenderedJsonSink::write_out() {
    if (lines_.empty()) return;
    out_.write(lines_.data(), static_cast<std::streamsize>(lines_.size()));
    lines_.clear();
}

}  // namespace decoder
