// Writes one event as a JSON line without building a JSON tree: the hot path of
// `read --json` (the tree cost about half of a run). Output is byte-identical to
// to_json(event).dump() with invalid UTF-8 replaced (keys sorted, no spaces), which a test
// checks on every sample capture, so to_json() stays the readable reference.
#pragma once

#include <string>

#include "decoder/events.hpp"

namespace decoder {

// Appends the event's JSON object (no newline) to `out`.
void append_json(const Event& event, std::string& out);

}  // namespace decoder
