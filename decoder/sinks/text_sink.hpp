// Human-readable lines, one per event, colour only when asked (the CLI asks when stdout is
// a terminal and --no-color was not given).
#pragma once

#include <ostream>
#include <string>

#include "decoder/analysis/certificate_verdicts.hpp"
#include "decoder/model/events.hpp"

namespace decoder {

// One line describing the event's payload, without time or addresses.
std::string describe(const Event& event);

// Under each leaf certificate, a line with its two name verdicts (certificate_verdicts.hpp).
class TextSink : public EventSink {
public:
    // With `flush_each_input` false (a file read into a pipe or file) the stream is flushed
    // only when its buffer fills, not after every input.
    TextSink(std::ostream& out, bool color, std::string expect_peer = {}, bool flush_each_input = true)
        : out_(out), color_(color), flush_each_input_(flush_each_input), names_(std::move(expect_peer)) {}
    void on_event(const Event& event) override;
    void on_flush() override;

private:
    const char* color_for(const Event& event) const;

    std::ostream& out_;
    bool color_;
    bool flush_each_input_;
    VerdictNames names_;
    std::string line_;  // the line being built, reused
};

}  // namespace decoder
