#include "decoder/json_sink.hpp"

#include "decoder/json_writer.hpp"

namespace decoder {

void JsonSink::on_event(const Event& event) {
    // One line per event, written straight into a reused buffer (json_writer.hpp).
    line_.clear();
    append_json(event, line_);
    line_ += '\n';
    out_.write(line_.data(), static_cast<std::streamsize>(line_.size()));
}

void JsonSink::on_flush() { out_.flush(); }

}  // namespace decoder
