// `read --json --threads N`: the JSON lines are written on the decoding threads, and the one
// thread that merges the events in order only puts in each line's seq (known there alone,
// since the analysis' findings take numbers too) and writes the lines out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "decoder/model/events.hpp"
#include "decoder/sinks/json_sink.hpp"

namespace decoder {

// One event's line as JsonSink would write it, cut where its seq goes.
struct RenderedLine {
    std::string_view before_seq, after_seq;  // after_seq ends with the newline
};

// Appends the event's line, with room but no digits for its seq, to `out` and returns the
// offset in `out` of that room, as the writer reports it (`npos`, should it ever not: the
// merging thread then writes the line itself).
std::size_t render_json_line(const Event& event, std::string& out);
// Cuts what render_json_line appended at `start` (up to `end`) around the seq's room at `at`.
RenderedLine cut_json_line(std::string_view out, std::size_t start, std::size_t at, std::size_t end);

// Writes exactly what JsonSink(out, flush_each_input) writes, taking the line of the next event
// from expect() when one was given for that event's seq.
class PrerenderedJsonSink : public JsonSink {
public:
    PrerenderedJsonSink(std::ostream& out, bool flush_each_input) : JsonSink(out, flush_each_input) {}
    // The event the bus gives `seq` next is written as `line` (its parts stay valid until then).
    void expect(std::uint64_t seq, RenderedLine line) {
        expected_seq_ = seq;
        expected_ = line;
    }

protected:
    void append_line(const Event& event, std::string& lines) override;

private:
    std::uint64_t expected_seq_ = 0;  // 0: none (the bus numbers from 1)
    RenderedLine expected_;
};

}  // namespace decoder
