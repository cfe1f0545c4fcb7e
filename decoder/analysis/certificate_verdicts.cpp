#include "decoder/analysis/certificate_verdicts.hpp"

#include <algorithm>
#include <cctype>

namespace decoder {

namespace {

// A DNS host name as certificates carry one: labels of letters, digits, hyphens (and UTF-8),
// no wildcard, no spaces; at least one dot, so a friendly CN such as "Exchange UM" or a bare
// "localhost"-style label is not taken for the host.
bool host_name(std::string_view s) {
    if (s.empty() || s.find('.') == std::string_view::npos || s.front() == '.') return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u >= 0x80 || std::isalnum(u) || c == '-' || c == '.';
    });
}

// What RFC 6125 says when there is no host name to check: a valid wildcard still covers hosts.
NameVerdict rfc6125_form(const Certificate& cert) {
    const auto& names = cert.san.empty() ? std::vector<std::string>{cert.subject_cn} : cert.san;
    for (const auto& p : names)
        if (p.starts_with("*.") && rfc6125_dns_match(p, "host" + p.substr(1)))
            return {true, "no host name to check; the " + std::string(cert.san.empty() ? "CN " : "SAN ") + p +
                              " covers any single label under " + p.substr(2),
                    "wildcard " + p};
    return {false, "the certificate names no host: no DNS SAN, and no CN that is a host name", "no host name"};
}

}  // namespace

ReferenceName reference_name(const Certificate& c, std::string_view expect_peer, std::string_view sni) {
    if (c.side == Side::Client && !expect_peer.empty()) return {std::string(expect_peer), "--expect-peer"};
    if (c.side == Side::Server && !sni.empty()) return {std::string(sni), "SNI"};
    for (const auto& s : c.san)
        if (host_name(s)) return {s, "its own SAN"};
    if (host_name(c.subject_cn)) return {c.subject_cn, "its own CN"};
    if (!c.san_ip.empty()) return {c.san_ip.front(), "its own IP SAN"};
    return {};
}

CertificateVerdicts certificate_verdicts(const Certificate& c, std::string_view expect_peer, std::string_view sni) {
    CertificateVerdicts v{reference_name(c, expect_peer, sni), {}, {}};
    if (!v.reference.name.empty()) {
        v.lync = lync_verdict(c, v.reference.name);
        v.rfc6125 = rfc6125_verdict(c, v.reference.name);
        return v;
    }
    // No name to hold it against: Lync's verdict on a missing or wildcard CN stands as it is.
    const bool form_fault = c.subject_cn.empty() || c.subject_cn.find('*') != std::string::npos;
    v.lync = form_fault ? lync_verdict(c, "")
                        : NameVerdict{false, "the subject CN " + c.subject_cn + " is not a host name (FQDN)",
                                      "CN " + c.subject_cn + " is not an FQDN"};
    v.rfc6125 = rfc6125_form(c);
    return v;
}

std::string reference_phrase(const ReferenceName& r) {
    if (r.name.empty()) return "no host name to check against";
    return "for " + r.name + " (" + r.source + (r.presented() ? ": the verdicts judge the form only" : "") + ")";
}

std::string verdicts_line(const CertificateVerdicts& v) {
    const auto word = [](const NameVerdict& n) { return std::string(n.accepted ? "accepted" : "refused"); };
    return "Lync: " + word(v.lync) + " (" + v.lync.brief + ")  RFC 6125: " + word(v.rfc6125) + " (" +
           v.rfc6125.brief + ")  " + reference_phrase(v.reference);
}

void VerdictNames::on_event(const Event& e) {
    if (const auto* m = e.as<TlsMessage>(); m && m->type == "client_hello" && m->sni) sni_[e.conn] = *m->sni;
    if (e.as<ConnClose>()) sni_.erase(e.conn);
}

std::optional<CertificateVerdicts> VerdictNames::verdicts(const Event& e) const {
    const auto* c = e.as<Certificate>();
    if (!c || c->index != 0) return std::nullopt;
    const auto it = sni_.find(e.conn);
    return certificate_verdicts(*c, expect_peer_, it == sni_.end() ? std::string_view() : std::string_view(it->second));
}

}  // namespace decoder
