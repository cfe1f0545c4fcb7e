// Small string helpers shared by the sinks and the diagnosis messages.
#pragma once

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace decoder {

inline std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
    return out;
}

// "1 record", "3 records"
inline std::string plural(std::uint64_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

inline std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

inline std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// A DNS name as names compare: case-insensitive, without the root's trailing dot.
inline std::string lower_fqdn(std::string_view s) {
    if (!s.empty() && s.back() == '.') s.remove_suffix(1);
    return lower(s);
}

}  // namespace decoder
