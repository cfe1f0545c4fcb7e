// JSON lines exactly as SPEC.md names the fields: one object per event, flushed when the
// bus says (after each input's events, see EventBus::Batch).
#pragma once

#include <ostream>
#include <string>

#include "decoder/events.hpp"

namespace decoder {

class JsonSink : public EventSink {
public:
    explicit JsonSink(std::ostream& out) : out_(out) {}
    void on_event(const Event& event) override;
    void on_flush() override;

private:
    std::ostream& out_;
    std::string line_;
};

}  // namespace decoder
