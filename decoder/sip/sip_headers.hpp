// Helpers for SIP header names and values: compact forms, list splitting, ms-diagnostics.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "decoder/model/events.hpp"

namespace decoder {

// The canonical lower-case long name for a header name (compact forms expanded):
// "v" -> "via", "Call-ID" -> "call-id".
std::string canonical_header_name(std::string_view name);

// Splits a header value on commas that are outside quotes and angle brackets.
std::vector<std::string> split_header_list(std::string_view value);
// The same, appending the (trimmed, non-empty) parts to `out` as views into `value`.
void append_header_list(std::string_view value, std::vector<SipText>& out);

// Parses `1010;reason="...";source="...";msexchHRESULT="0x800B010F(...)"`.
std::optional<MsDiagnostics> parse_ms_diagnostics(std::string_view value);

// Without the spaces and tabs around it. Inline: it runs several times for every header.
// Two pointers: a string_view's remove_prefix updates both its fields each step.
inline std::string_view trim(std::string_view s) {
    const char* b = s.data();
    const char* e = b + s.size();
    while (b != e && (*b == ' ' || *b == '\t')) ++b;
    while (e != b && (e[-1] == ' ' || e[-1] == '\t')) --e;
    return {b, static_cast<std::size_t>(e - b)};
}

}  // namespace decoder
