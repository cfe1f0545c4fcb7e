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
inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace decoder
