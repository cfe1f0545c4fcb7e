#include "decoder/analysis/redirect_tracker.hpp"

#include <algorithm>
#include <cctype>

#include "decoder/base/text_util.hpp"
#include "decoder/model/close_description.hpp"

namespace decoder {

namespace {

bool looks_like_ip(std::string_view host) {
    if (host.find(':') != std::string_view::npos) return true;  // IPv6
    return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
        return c == '.' || std::isdigit(static_cast<unsigned char>(c));
    });
}

// The first URI of a Contact value: "<sip:user@host:5065;transport=Tls>" -> host, port,
// transport. IPv6 literals come as "[addr]:port".
std::optional<RedirectTarget> contact_target(std::string_view v) {
    auto start = v.find("sip:");
    const auto secure = v.find("sips:");
    if (secure != std::string_view::npos && (start == std::string_view::npos || secure < start)) start = secure + 1;
    if (start == std::string_view::npos) return std::nullopt;
    v.remove_prefix(start + 4);
    const auto end = v.find_first_of(">, \t");
    const std::string_view uri = v.substr(0, end);
    auto hostport = uri.substr(0, uri.find_first_of(";?"));
    if (const auto at = hostport.find('@'); at != std::string_view::npos) hostport.remove_prefix(at + 1);
    RedirectTarget t;
    std::string_view port;
    if (hostport.starts_with('[')) {
        const auto close = hostport.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        t.host = std::string(hostport.substr(1, close - 1));
        if (hostport.substr(close + 1).starts_with(':')) port = hostport.substr(close + 2);
    } else {
        const auto colon = hostport.find(':');
        t.host = std::string(hostport.substr(0, colon));
        if (colon != std::string_view::npos) port = hostport.substr(colon + 1);
    }
    if (t.host.empty() || port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        return std::nullopt;
    const auto number = std::stoul(std::string(port));
    if (number == 0 || number > 65535) return std::nullopt;
    t.port = static_cast<std::uint16_t>(number);
    t.host_is_ip = looks_like_ip(t.host);
    const auto params = lower(uri);
    if (const auto p = params.find(";transport="); p != std::string::npos) {
        const auto value = std::string_view(params).substr(p + 11);
        t.transport = std::string(value.substr(0, value.find_first_of(";?")));
    }
    return t;
}

std::string target_text(const RedirectTarget& t) {
    return (t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host) + ":" + std::to_string(t.port);
}

std::string linked_by_words(const std::string& how, const RedirectTarget& t) {
    if (how == "ip") return "linked by its address, which the Contact names";
    if (how == "sni") return "linked by port " + std::to_string(t.port) + " and its TLS SNI " + t.host;
    if (how == "certificate")
        return "linked by port " + std::to_string(t.port) + " and its server certificate, which names " + t.host;
    return "linked by port " + std::to_string(t.port) + " and the caller's address alone: nothing on it named " +
           t.host;
}

// Whether a server certificate names the host (subject CN or a SAN DNS name).
bool certificate_names(const Certificate& c, const std::string& host) {
    if (lync_name_match(c.subject_cn, host)) return true;
    return std::any_of(c.san.begin(), c.san.end(), [&](const std::string& n) { return dns_name_match(n, host); });
}

}  // namespace

std::optional<RedirectTarget> um_redirect_target(const SipMessage& m, const Endpoint& from) {
    if (m.is_request || m.status < 300 || m.status > 399) return std::nullopt;
    if (from.port != 5060 && from.port != 5061) return std::nullopt;
    auto t = contact_target(m.contact);
    if (!t || t->port < 5065 || t->port > 5068) return std::nullopt;
    return t;
}

void RedirectTracker::on_event(const Event& e, std::vector<RedirectFinding>& out) {
    if (e.as<ConnOpen>()) return on_open(e);
    if (const auto* s = e.as<SipMessage>()) {
        if (const auto t = um_redirect_target(*s, e.src); t && e.dst.port != 0) {
            if (pending_.size() >= kMaxPending) {  // bounded: judge the oldest as it stands
                out.push_back(judge(pending_.front()));
                pending_.erase(pending_.begin());
            }
            Pending p{e.conn, e.seq, e.dst, e.src, e.transport, e.ts, {}, *t};
            p.response = std::to_string(s->status) + " " + std::string(s->reason) + " to " + std::string(s->method) + " (CSeq " +
                         std::to_string(s->cseq_number) + ")";
            pending_.push_back(std::move(p));
            return;
        }
    }
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
        if (!it->follow || it->follow->conn != e.conn) continue;
        on_follow_event(e, *it);
        if (it->follow && it->follow->close_seq) {
            out.push_back(judge(*it));
            pending_.erase(it);
        }
        return;
    }
}

// A new connection follows the oldest waiting redirect to its port from the redirected
// client's address; an IP in the Contact must also be the address connected to.
void RedirectTracker::on_open(const Event& e) {
    for (auto& p : pending_) {
        if (p.follow || e.ts < p.at || e.dst.port != p.target.port || e.src.ip != p.client.ip) continue;
        if (p.target.host_is_ip && e.dst.ip != p.target.host) continue;
        p.follow = Follow{e.conn, e.seq, p.target.host_is_ip ? "ip" : "port"};
        return;
    }
}

void RedirectTracker::on_follow_event(const Event& e, Pending& p) {
    auto& f = *p.follow;
    const bool from_server = e.src.port == p.target.port;
    if (const auto* m = e.as<TlsMessage>()) {
        if (from_server) f.answered = true;
        if (m->type == "client_hello" && m->sni && !p.target.host_is_ip) {
            if (lync_name_match(*m->sni, p.target.host)) {
                f.linked_by = "sni";
            } else {  // a connection to another host on the same port: not this redirect's
                p.follow.reset();
                return;
            }
        }
    } else if (const auto* c = e.as<Certificate>(); c && c->side == Side::Server && c->index == 0) {
        f.server_subject = c->subject;
        f.certificate_seq = e.seq;
        if (!p.target.host_is_ip) {
            if (certificate_names(*c, p.target.host)) {
                if (f.linked_by == "port") f.linked_by = "certificate";
            } else {
                f.names_note = "its certificate does not name " + p.target.host +
                               " in its subject CN or SANs, which a caller checking the name refuses";
            }
        }
    } else if (const auto* s = e.as<SipMessage>()) {
        if (from_server) f.answered = true;
        // The INVITE's answer says whether the call reached the worker; another final
        // response (e.g. to BYE) only when no INVITE was answered.
        if (!s->is_request && s->status >= 200 && (f.sip_result.empty() || s->method == "INVITE") &&
            !f.invite_answered) {
            f.sip_result = s->summary();
            f.invite_answered = s->method == "INVITE";
        }
    } else if (const auto* close = e.as<ConnClose>()) {
        f.teardown = describe_close(*close, e.transport);
        f.close_seq = e.seq;
    }
}

RedirectFinding RedirectTracker::judge(Pending& p) const {
    RedirectFinding r{p.conn, p.client, p.server, p.transport, {}, {p.response_seq}};
    RedirectLink link{target_text(p.target), p.target.transport};
    const std::string router = p.server.to_string() + " (the UM call router)";
    std::string msg = router + " answered " + p.response + ", redirecting " + named(p.client, Side::Client) +
                      " to the UM worker at " + link.to +
                      (p.target.transport.empty() ? "" : " (transport " + p.target.transport + ")") + ". ";
    const bool reached = p.follow && p.follow->answered;
    if (p.follow) {
        const auto& f = *p.follow;
        link.conn = f.conn;
        link.linked_by = f.linked_by;
        link.server_certificate = f.server_subject;
        link.outcome = (f.sip_result.empty() ? "" : "SIP answered with " + f.sip_result + "; ") +
                       (f.teardown.empty() ? "still open at the end of the capture" : "teardown: " + f.teardown);
        r.evidence.push_back(f.open_seq);
        if (f.certificate_seq) r.evidence.push_back(f.certificate_seq);
        if (f.close_seq) r.evidence.push_back(f.close_seq);
        msg += "Connection #" + std::to_string(f.conn) + " followed (" + linked_by_words(f.linked_by, p.target) + ")";
        if (!f.server_subject.empty()) msg += "; its server certificate is " + f.server_subject;
        if (!f.names_note.empty()) msg += "; " + f.names_note;
        msg += "; " + link.outcome + ".";
    }
    if (reached) {
        r.draft = FindingDraft{Severity::Info, "um-redirect", msg, std::move(link)};
        return r;
    }
    const std::string port = std::to_string(p.target.port);
    msg += p.follow ? " The UM worker never answered it: the caller could not reach the worker."
                    : "No connection to " + link.to + " was established in this capture: the caller never reached the UM worker.";
    msg += " Usual causes: a firewall between them blocking TCP " + port +
           " (the worker listens on 5065/5067 for TLS, 5066/5068 for TCP)" +
           (p.target.host_is_ip ? "" : ", or the name " + p.target.host + " not resolving in DNS on the caller's side") +
           ". If the capture was filtered to the call router's port, capture again with ports 5065-5068 included.";
    r.draft = FindingDraft{Severity::Error, "um-redirect-not-followed", msg, std::move(link)};
    return r;
}

void RedirectTracker::on_end(std::vector<RedirectFinding>& out) {
    for (auto& p : pending_) out.push_back(judge(p));
    pending_.clear();
}

}  // namespace decoder
