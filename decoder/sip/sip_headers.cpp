#include "decoder/sip/sip_headers.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <utility>

namespace decoder {

namespace {

// RFC 3261 7.3.3 and later RFCs' compact forms.
constexpr std::array<std::pair<char, const char*>, 20> kCompactForms{{
    {'a', "accept-contact"}, {'b', "referred-by"}, {'c', "content-type"},
    {'d', "request-disposition"}, {'e', "content-encoding"}, {'f', "from"},
    {'i', "call-id"}, {'j', "reject-contact"}, {'k', "supported"}, {'l', "content-length"},
    {'m', "contact"}, {'n', "identity-info"}, {'o', "event"}, {'r', "refer-to"},
    {'s', "subject"}, {'t', "to"}, {'u', "allow-events"}, {'v', "via"},
    {'x', "session-expires"}, {'y', "identity"},
}};

std::string unquote(std::string_view v) {
    v = trim(v);
    if (v.size() < 2 || v.front() != '"' || v.back() != '"') return std::string(v);
    std::string out;
    for (std::size_t i = 1; i + 1 < v.size(); ++i) {
        if (v[i] == '\\' && i + 2 < v.size()) ++i;  // quoted-pair
        out += v[i];
    }
    return out;
}

// Calls part(view) for each piece of `value` split on `sep` outside double quotes and <...>.
template <class Part>
void split_outside_quotes(std::string_view value, char sep, Part&& part) {
    // The usual value (one Via per header line) has nothing to split: without `sep` the loop
    // below ends with the one part, the whole value, whatever quotes or brackets it holds.
    if (value.find(sep) == std::string_view::npos) return part(value);
    bool quoted = false;
    int angle = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const char c = value[i];
        if (quoted) {
            if (c == '\\') ++i;
            else if (c == '"') quoted = false;
        } else if (c == '"') {
            quoted = true;
        } else if (c == '<') {
            ++angle;
        } else if (c == '>' && angle > 0) {
            --angle;
        } else if (c == sep && angle == 0) {
            part(value.substr(start, i - start));
            start = i + 1;
        }
    }
    part(value.substr(std::min(start, value.size())));
}

}  // namespace

std::string canonical_header_name(std::string_view name) {
    name = trim(name);
    if (name.size() == 1) {
        const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
        for (const auto& [compact, full] : kCompactForms)
            if (compact == c) return full;
    }
    std::string out(name);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::vector<std::string> split_header_list(std::string_view value) {
    std::vector<SipText> parts;
    append_header_list(value, parts);
    return {parts.begin(), parts.end()};
}

void append_header_list(std::string_view value, std::vector<SipText>& out) {
    split_outside_quotes(value, ',', [&](std::string_view part) {
        part = trim(part);
        if (!part.empty()) out.emplace_back(part);
    });
}

std::optional<MsDiagnostics> parse_ms_diagnostics(std::string_view value) {
    std::vector<std::string_view> parts;
    split_outside_quotes(trim(value), ';', [&](std::string_view part) { parts.push_back(part); });
    MsDiagnostics diag;
    // "<ErrorId>[.<SubErrorCode>]": the sub-code is kept as a parameter.
    const auto code_text = trim(parts.front());
    const auto end = code_text.data() + code_text.size();
    const auto [ptr, ec] = std::from_chars(code_text.data(), end, diag.code);
    if (ec != std::errc{} || ptr == code_text.data()) return std::nullopt;
    if (ptr != end) {
        if (*ptr != '.' || ptr + 1 == end) return std::nullopt;
        diag.params.emplace_back("subcode", std::string(ptr + 1, end));
    }
    for (std::size_t i = 1; i < parts.size(); ++i) {
        const auto param = trim(parts[i]);
        if (param.empty()) continue;
        const auto eq = param.find('=');
        std::string name(trim(param.substr(0, eq)));
        std::string val = eq == std::string_view::npos ? "" : unquote(param.substr(eq + 1));
        if (canonical_header_name(name) == "reason" && diag.reason.empty())
            diag.reason = std::move(val);
        else
            diag.params.emplace_back(std::move(name), std::move(val));
    }
    return diag;
}

}  // namespace decoder
