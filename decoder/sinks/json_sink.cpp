#include "decoder/sinks/json_sink.hpp"

#include "decoder/sinks/json_writer.hpp"

namespace decoder {

namespace {
constexpr std::size_t kWriteSize = 64 * 1024;  // one write() per this many bytes of lines
}

JsonSink::~JsonSink() {
    try {
        write_out();
    } catch (...) {  // the stream reports its own failure; nothing to add here
    }
}

void JsonSink::append_line(const Event& event, std::string& lines) {
    // Lines are written straight into one reused buffer (json_writer.hpp).
    append_json(event, lines);
    lines += '\n';
}

void JsonSink::on_event(const Event& event) {
    append_line(event, lines_);
    if (flush_each_input_ || lines_.size() >= kWriteSize) write_out();
}

void JsonSink::on_flush() {
    if (!flush_each_input_) return;
    write_out();
    out_.flush();
}

void JsonSink::on_end() {
    write_out();
    out_.flush();
}

void JsonSink::write_out() {
    if (lines_.empty()) return;
    out_.write(lines_.data(), static_cast<std::streamsize>(lines_.size()));
    lines_.clear();
}

}  // namespace decoder
