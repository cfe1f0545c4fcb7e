#include "decoder/sinks/prerendered_json.hpp"

#include <charconv>
#include <cstring>
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
