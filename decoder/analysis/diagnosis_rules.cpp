#include "decoder/analysis/diagnosis_rules.hpp"

#include <algorithm>
#include <cctype>

#include "decoder/analysis/ms_diagnostics_table.hpp"
#include "decoder/base/text_util.hpp"

namespace decoder {

std::string named(const Endpoint& e, Side side) { return e.to_string() + " (" + to_string(side) + ")"; }

namespace {

std::string whose(const Certificate& c) {
    return std::string("the ") + to_string(c.side) + "'s certificate" +
           (c.index == 0 ? "" : " #" + std::to_string(c.index) + " in its chain");
}

std::string date(Micros t) { return format_rfc3339(t).substr(0, 10); }

// Why a TLS peer sends each fatal alert, in the words of a certificate problem where it is one.
std::string_view alert_meaning(std::string_view d) {
    if (d == "unknown_ca") return "it does not trust the CA that issued the other side's certificate";
    if (d == "certificate_expired") return "the other side's certificate (or its chain) has expired";
    if (d == "bad_certificate") return "the other side's certificate was rejected as invalid";
    if (d == "certificate_unknown") return "it could not accept the other side's certificate";
    if (d == "unsupported_certificate") return "the other side's certificate is of an unsupported type";
    if (d == "certificate_revoked") return "the other side's certificate was revoked";
    if (d == "certificate_required") return "it requires a client certificate and got none";
    if (d == "handshake_failure") return "no acceptable parameters (ciphers, versions or certificate)";
    if (d == "protocol_version") return "no TLS version both sides support";
    if (d == "insufficient_security") return "the offered ciphers are too weak for it";
    if (d == "access_denied") return "the certificate was valid but access is not allowed";
    if (d == "decode_error") return "it could not parse a message (or the peer closed without close_notify)";
    if (d == "decrypt_error") return "a signature or Finished check failed";
    return "the handshake or session failed";
}

}  // namespace

bool lync_name_match(std::string_view cn, std::string_view fqdn) {
    return !cn.empty() && cn.find('*') == std::string_view::npos && lower_fqdn(cn) == lower_fqdn(fqdn);
}

bool dns_name_match(std::string_view pattern, std::string_view fqdn) {
    const auto p = lower_fqdn(pattern), f = lower_fqdn(fqdn);
    if (!p.starts_with("*.")) return p == f;
    const auto dot = f.find('.');
    return dot != std::string::npos && dot > 0 && f.substr(dot) == p.substr(1) &&
           std::count(p.begin(), p.end(), '.') >= 2;  // no "*.com"
}

std::vector<FindingDraft> check_certificate(const Certificate& c, Micros at) {
    std::vector<FindingDraft> out;
    if (c.index == 0 && c.wildcard_cn) {
        out.push_back({c.side == Side::Client ? Severity::Error : Severity::Warning, "wildcard-subject-cn",
                       "The " + std::string(to_string(c.side)) + " presented a certificate with the wildcard subject CN=" +
                           c.subject_cn +
                           ": Lync/Skype for Business rejects a wildcard subject CN for server-to-server "
                           "mutual TLS and does not look at the SANs for that check, so the server must "
                           "have a certificate whose subject CN is its own FQDN."});
    }
    if (c.not_after != 0 && at > c.not_after) {
        out.push_back({Severity::Error, "cert-expired",
                       "Certificate " + c.subject + " (" + whose(c) + ") expired on " + date(c.not_after) +
                           ", before this connection; the peer will refuse it."});
    }
    if (c.not_before != 0 && at < c.not_before) {
        out.push_back({Severity::Error, "cert-not-yet-valid",
                       "Certificate " + c.subject + " (" + whose(c) + ") is not valid until " +
                           date(c.not_before) + "; check the clocks of both servers or reissue it."});
    }
    if (c.index == 0 && c.self_signed) {
        out.push_back({Severity::Warning, "self-signed",
                       "The " + std::string(to_string(c.side)) + "'s certificate " + c.subject +
                           " is self-signed; a Lync or Exchange peer trusts it only if it is installed "
                           "in its Trusted Root store."});
    }
    return out;
}

std::vector<FindingDraft> check_leaf_name(const Certificate& leaf, std::string_view expected,
                                          std::string_view source) {
    std::vector<FindingDraft> out;
    if (leaf.index != 0) return out;
    const std::string side = to_string(leaf.side);
    if (expected.empty()) {
        // No name to compare with: a wildcard CN whose SANs name real hosts is the incident.
        const bool concrete_san = std::any_of(leaf.san.begin(), leaf.san.end(),
                                              [](const auto& n) { return n.find('*') == std::string::npos; });
        if (leaf.wildcard_cn && concrete_san)
            out.push_back({Severity::Warning, "san-ignored-by-lync",
                           "The " + side + "'s certificate lists " + join(leaf.san) +
                               " as Subject Alternative Names, but Lync/Skype for Business only compares "
                               "the subject CN (" + leaf.subject_cn + ") with the server's FQDN, so the SANs do not help."});
        return out;
    }
    if (lync_name_match(leaf.subject_cn, expected)) return out;
    const bool san_matches = std::any_of(leaf.san.begin(), leaf.san.end(),
                                         [&](const auto& n) { return dns_name_match(n, expected); });
    if (!leaf.wildcard_cn)
        out.push_back({Severity::Error, "cn-not-peer-fqdn",
                       "The " + side + "'s certificate has subject CN=" + leaf.subject_cn + " but the " + side +
                           " is " + std::string(expected) + " (" + std::string(source) +
                           "); Lync/Skype for Business requires the subject CN to be the peer server's FQDN."});
    if (san_matches)
        out.push_back({Severity::Warning, "san-ignored-by-lync",
                       "The " + side + "'s certificate matches " + std::string(expected) +
                           " only through its Subject Alternative Names (" + join(leaf.san) +
                           "); a browser would accept that, but Lync/Skype for Business checks the subject CN only."});
    return out;
}

FindingDraft no_client_certificate(const Endpoint& client) {
    return {Severity::Error, "no-client-certificate",
            "The server asked " + client.to_string() +
                " for a client certificate and it sent none; Lync/Skype for Business and Exchange UM "
                "need a certificate on both sides of a server-to-server connection."};
}

std::optional<FindingDraft> check_alert(const TlsAlert& a, Side sender, const Endpoint& from) {
    if (a.encrypted || a.code == AlertDescription::CloseNotify) return std::nullopt;
    const std::string who = from.to_string() + " (" + to_string(sender) + ")";
    if (a.is_fatal())
        return FindingDraft{Severity::Error, "tls-alert",
                            who + " sent the fatal TLS alert " + a.description + ": " +
                                std::string(alert_meaning(a.description)) + "."};
    return FindingDraft{Severity::Warning, "tls-alert",
                        who + " sent the TLS alert " + a.level + " " + a.description + "."};
}

std::optional<FindingDraft> check_sip_response(const SipMessage& m, const Endpoint& from) {
    if (m.is_request || m.status < 400 || m.status == 401 || m.status == 407) return std::nullopt;
    return FindingDraft{Severity::Warning, "sip-error-response",
                        from.to_string() + " answered " + std::string(m.method) + " (CSeq " + std::string(m.cseq) +
                            ") with " + std::to_string(m.status) + " " + std::string(m.reason) + "."};
}

std::optional<FindingDraft> check_ms_diagnostics(const SipMessage& m, const Endpoint& from) {
    if (!m.ms_diagnostics) return std::nullopt;
    const auto& d = *m.ms_diagnostics;
    std::string msg = from.to_string() + " reports ms-diagnostics " + std::to_string(d.code) +
                      " (" + std::string(ms_diagnostics_range(d.code)) + ")";
    if (!d.reason.empty()) msg += " \"" + d.reason + "\"";
    if (const auto known = ms_diagnostics_meaning(d.code)) msg += ": " + std::string(known->meaning);
    for (const auto& [name, value] : d.params) {
        if (name.find("HRESULT") == std::string::npos && name.find("hresult") == std::string::npos) continue;
        if (const auto h = hresult_meaning(value))
            msg += "; " + name + " " + std::string(h->name) + ": " + std::string(h->meaning);
    }
    const bool failure = m.is_request ? false : m.status >= 300;
    return FindingDraft{failure ? Severity::Error : Severity::Info, "ms-diagnostics", msg + "."};
}

}  // namespace decoder
