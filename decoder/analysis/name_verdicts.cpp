#include "decoder/analysis/name_verdicts.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>

#include "decoder/base/text_util.hpp"

namespace decoder {

namespace {

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
    const auto pattern = lower_fqdn(pattern_in), name = lower_fqdn(name_in);
    if (pattern.empty() || name.empty()) return false;
    if (pattern.find('*') == std::string::npos) return pattern == name;
    // Only "*.rest": a wildcard that is the whole left-most label, and nowhere else.
    if (!pattern.starts_with("*.") || pattern.find('*', 1) != std::string::npos) return false;
    const std::string_view rest = std::string_view(pattern).substr(2);
    if (std::count(rest.begin(), rest.end(), '.') < 1) return false;  // "*.com" matches nothing
    const auto dot = name.find('.');
    if (dot == std::string::npos || dot == 0) return false;
    const std::string_view first = std::string_view(name).substr(0, dot);
    // No wildcard over an internationalised label, as an A-label or as raw UTF-8 (a U-label).
    if (first.starts_with("xn--") ||
        std::any_of(first.begin(), first.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
        return false;
    return std::string_view(name).substr(dot + 1) == rest;
}

NameVerdict lync_verdict(const Certificate& cert, std::string_view name) {
    const std::string& cn = cert.subject_cn;
    if (cn.empty()) return {false, "the certificate has no subject CN, which is all Lync looks at", "no subject CN"};
    if (cn.find('*') != std::string::npos)
        return {false, "the subject CN " + cn + " is a wildcard, which Lync never accepts for a server", "wildcard CN " + cn};
    const std::string n(name);
    if (lower_fqdn(cn) == lower_fqdn(name)) return {true, "the subject CN " + cn + " is the FQDN " + n, "CN " + cn};
    const bool san_would = std::any_of(cert.san.begin(), cert.san.end(),
                                       [&](const auto& s) { return rfc6125_dns_match(s, name); });
    return {false, "the subject CN " + cn + " is not " + n + (san_would ? " (a SAN matches, but Lync ignores SANs here)" : ""),
            "CN " + cn + " is not " + n + (san_would ? ", SAN ignored" : "")};
}

NameVerdict rfc6125_verdict(const Certificate& cert, std::string_view name) {
    const std::string n(name);
    if (const auto ip = ip_text(name); !ip.empty()) {
        // An IP reference identity matches only an iPAddress SAN, never a DNS name or the CN.
        for (const auto& s : cert.san_ip)
            if (ip_text(s) == ip) return {true, "the IP address SAN " + s + " matches", "IP SAN " + s};
        return {false, "no IP address SAN is " + n, "no IP SAN is " + n};
    }
    if (!cert.san.empty()) {
        for (const auto& s : cert.san)
            if (rfc6125_dns_match(s, name)) return {true, "the SAN " + s + " matches " + n, "SAN " + s};
        return {false, "no SAN matches " + n + " (with SANs present the CN is not used)", "no SAN matches " + n};
    }
    if (rfc6125_dns_match(cert.subject_cn, name))
        return {true, "no SANs, and the subject CN " + cert.subject_cn + " matches", "CN " + cert.subject_cn + ", no SANs"};
    return {false, "no SANs, and the subject CN " + cert.subject_cn + " does not match " + n,
            "no SANs, CN " + cert.subject_cn + " is not " + n};
}

}  // namespace decoder
