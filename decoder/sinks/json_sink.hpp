// JSON lines exactly as SPEC.md names the fields: one object per event, flushed when the
// bus says (after each input's events, see EventBus::Batch).
#pragma once

#include <ostream>
#include <string>

#include "decoder/model/events.hpp"

namespace decoder {

class JsonSink : public EventSink {
public:
    // With `flush_each_input` false (a file read into a pipe or file) lines are gathered and
    // written 64 KB at a time, and the stream is flushed only at the end.
    explicit JsonSink(std::ostream& out, bool flush_each_input = true)
        : out_(out), flush_each_input_(flush_each_input) {}
    ~JsonSink() override;
    void on_event(const Event& event) final;
    void on_flush() final;
    void on_end() final;

protected:
    // Appends the event's line, newline included, to the buffer. PrerenderedJsonSink brings
    // lines written on other threads, and keeps the buffering here.
    virtual void append_line(const Event& event, std::string& lines);

private:
    void write_out();

    std::ostream& out_;
    bool flush_each_input_;
    std::string lines_;
};

}  // namespace decoder
