// JSON lines exactly as SPEC.md names the fields: one object per event, flushed per event.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "decoder/events.hpp"

namespace decoder {

nlohmann::json to_json(const Event& event);

class JsonSink : public EventSink {
public:
    explicit JsonSink(std::ostream& out) : out_(out) {}
    void on_event(const Event& event) override;

private:
    std::ostream& out_;
    std::string line_;
};

}  // namespace decoder
