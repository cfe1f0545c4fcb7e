#include "decoder/name_verdicts.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>

namespace decoder {

namespace {

std::string normalise(std::string_view s) {
    if (!s.empty() && s.back() == '.') s.remove_suffix(1);
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// The canonical text of an IP address, or "" when `s` is not one.
std::string ip_text(std::string_view s) {
    std::string str(s);
    unsigned char buf[16];
    char text[64];
    for (int family : {AF_INET, AF_INET6})
        if (inet_pton(family, str.c_str(), buf) == 1 && inet_ntop(family, buf, text, sizeof text)) return text;
    return "";
}

}  // namespace

bool rfc6125_dns_match(std::string_view pattern_in, std::string_view name_in) {
    const auto pattern = normalise(pattern_in), name = normalise(name_in);
    if (pattern.empty() || name.empty()) return false;
    if (pattern.find('*') == std::string::npos) return pattern == name;
    // Only "*.rest": a wildcard that is the whole left-most label, and nowhere else.
    if (!pattern.starts_with("*.") || pattern.find('*', 1) != std::string::npos) return false;
    const std::string_view rest = std::string_view(pattern).substr(2);
    if (std::count(rest.begin(), rest.end(), '.') < 1) return false;  // "*.com" matches nothing
    const auto dot = name.find('.');
    if (dot == std::string::npos || dot == 0) return false;
    const std::string_view first = std::string_view(name).substr(0, dot);
    if (first.starts_with("xn--")) return false;  // no wildcard over an internationalised label
    return std::string_view(name).substr(dot + 1) == rest;
}

NameVerdict lync_verdict(const Certificate& cert, std::string_view name) {
    if (cert.subject_cn.empty()) return {false, "the certificate has no subject CN, which is all Lync looks at"};
    if (cert.subject_cn.find('*') != std::string::npos)
        return {false, "the subject CN " + cert.subject_cn + " is a wildcard, which Lync never accepts for a server"};
    if (normalise(cert.subject_cn) == normalise(name))
        return {true, "the subject CN " + cert.subject_cn + " is the FQDN " + std::string(name)};
    const bool san_would = std::any_of(cert.san.begin(), cert.san.end(),
                                       [&](const auto& s) { return rfc6125_dns_match(s, name); });
    return {false, "the subject CN " + cert.subject_cn + " is not " + std::string(name) +
                       (san_would ? " (a SAN matches, but Lync ignores SANs here)" : "")};
}

NameVerdict rfc6125_verdict(const Certificate& cert, std::string_view name) {
    if (const auto ip = ip_text(name); !ip.empty()) {
        // An IP reference identity matches only an iPAddress SAN, never a DNS name or the CN.
        for (const auto& s : cert.san_ip)
            if (ip_text(s) == ip) return {true, "the IP address SAN " + s + " matches"};
        return {false, "no IP address SAN is " + std::string(name)};
    }
    if (!cert.san.empty()) {
        for (const auto& s : cert.san)
            if (rfc6125_dns_match(s, name)) return {true, "the SAN " + s + " matches " + std::string(name)};
        return {false, "no SAN matches " + std::string(name) + " (with SANs present the CN is not used)"};
    }
    if (rfc6125_dns_match(cert.subject_cn, name))
        return {true, "no SANs, and the subject CN " + cert.subject_cn + " matches"};
    return {false, "no SANs, and the subject CN " + cert.subject_cn + " does not match " + std::string(name)};
}

}  // namespace decoder
