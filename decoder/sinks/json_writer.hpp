// Writes one event as a JSON line without building a JSON tree: the hot path of
// `read --json` (the tree cost about half of a run). Output is byte-identical to
// the tests' reference serialiser (tests/reference_json.cpp, an nlohmann::json tree dumped with
// invalid UTF-8 replaced: keys sorted, no spaces), which they check on every sample capture.
#pragma once

#include <string>

#include "decoder/model/events.hpp"

namespace decoder {

// Appends the event's JSON object (no newline) to `out`.
// Bytes left for the seq when append_json is given `seq_at`: the widest 64-bit number.
inline constexpr std::size_t kSeqPlaceWidth = 20;

// Appends the event's line (without the newline) to `out`. With `seq_at`, the seq is not
// written: kSeqPlaceWidth bytes are left in its place, and `seq_at` says where in `out` they
// start (the --threads merge puts the digits in, known only there).
void append_json(const Event& event, std::string& out, std::size_t* seq_at = nullptr);

}  // namespace decoder
