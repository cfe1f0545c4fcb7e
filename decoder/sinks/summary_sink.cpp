#include "decoder/sinks/summary_sink.hpp"

#include "decoder/base/text_util.hpp"
#include "decoder/model/close_description.hpp"

namespace decoder {

namespace {

std::string certificate_line(const Certificate& c) {
    std::string s = std::string(to_string(c.side)) + " certificate: " + c.subject;
    if (!c.san.empty()) {
        s += " (SAN";
        for (const auto& n : c.san) s += " " + n;
        s += ")";
    }
    s += ", issued by " + c.issuer + ", valid to " + format_rfc3339(c.not_after).substr(0, 10);
    if (c.wildcard_cn) s += " — WILDCARD CN";
    return s;
}

// One line for a redirect and the connection that followed it (or not).
std::string redirect_line(const RedirectLink& r) {
    std::string s = "redirect: to the UM worker " + r.to + (r.transport.empty() ? "" : " (" + r.transport + ")");
    if (!r.conn) return s + " — NOT FOLLOWED: no connection to it in this capture";
    s += " -> #" + std::to_string(*r.conn) + " (linked by " + r.linked_by + ")";
    if (!r.server_certificate.empty()) s += ", server certificate " + r.server_certificate;
    return s + "; " + r.outcome;
}

}  // namespace

void SummarySink::on_event(const Event& e) {
    names_.on_event(e);
    if (e.as<Notice>()) ++notices_;
    if (e.as<SipMessage>()) ++sip_messages_;
    if (const auto* f = e.as<Finding>()) {
        ++findings_[f->severity];
        if (f->redirect && f->redirect->conn)
            redirected_from_[*f->redirect->conn] = "#" + std::to_string(e.conn) + " (UM call router " + e.dst.to_string() + ")";
    }
    if (e.as<ConnOpen>()) {
        ++connections_;
        if (conns_.size() < kMaxDetailed) conns_[e.conn] = Conn{e.src, e.dst, e.transport, {}, {}, 0, 0, {}, {}, {}};
        return;
    }
    const auto it = conns_.find(e.conn);
    if (it == conns_.end()) return;
    auto& c = it->second;
    c.transport = e.transport;
    if (const auto* m = e.as<TlsMessage>(); m && m->type == "server_hello") {
        c.tls = m->version + (m->cipher ? " " + *m->cipher : "") + (c.tls.empty() ? "" : c.tls);
    } else if (m && m->type == "client_hello" && m->sni) {
        c.tls += ", SNI " + *m->sni;
    } else if (const auto* cert = e.as<Certificate>(); cert && cert->index == 0) {
        c.certificates.push_back(certificate_line(*cert));
        if (const auto v = names_.verdicts(e)) c.certificates.push_back("   names: " + verdicts_line(*v));
    } else if (const auto* s = e.as<SipMessage>()) {
        ++(s->is_request ? c.requests : c.responses);
    } else if (const auto* close = e.as<ConnClose>()) {
        c.teardown = describe_close(*close, e.transport);
    } else if (const auto* f = e.as<Finding>()) {
        c.findings.push_back(upper(to_string(f->severity)) + " " + f->code);
        if (f->redirect) c.redirects.push_back(redirect_line(*f->redirect));
    }
}

void SummarySink::print(std::uint64_t id, const Conn& c) {
    out_ << "#" << id << " " << to_string(c.transport) << " " << c.client.to_string() << " (client) -> "
         << c.server.to_string() << " (server)";
    if (!c.tls.empty()) out_ << "  " << (c.tls.starts_with(", ") ? c.tls.substr(2) : c.tls);
    out_ << "\n";
    for (const auto& cert : c.certificates) out_ << "   " << cert << "\n";
    out_ << "   SIP: " << c.requests << " request" << (c.requests == 1 ? "" : "s") << ", " << c.responses
         << " response" << (c.responses == 1 ? "" : "s") << "\n";
    if (!c.teardown.empty()) out_ << "   teardown: " << c.teardown << "\n";
    for (const auto& r : c.redirects) out_ << "   " << r << "\n";
    if (const auto from = redirected_from_.find(id); from != redirected_from_.end())
        out_ << "   redirected here from " << from->second << "\n";
    if (!c.findings.empty()) {
        out_ << "   findings:";
        for (const auto& f : c.findings) out_ << (&f == &c.findings.front() ? " " : ", ") << (color_ && f.starts_with("ERROR") ? "\033[31m" : "") << f
                                             << (color_ && f.starts_with("ERROR") ? "\033[0m" : "");
        out_ << "\n";
    }
}

void SummarySink::on_end() {
    if (connections_ == 0 && notices_ == 0) return;
    out_ << "\n" << (color_ ? "\033[1m" : "") << "Summary" << (color_ ? "\033[0m" : "") << "\n";
    for (const auto& [id, c] : conns_) print(id, c);
    if (connections_ > conns_.size())
        out_ << "... and " << connections_ - conns_.size() << " more connections (not detailed)\n";
    out_ << connections_ << " connection" << (connections_ == 1 ? "" : "s") << ", " << sip_messages_
         << " SIP message" << (sip_messages_ == 1 ? "" : "s") << "; " << findings_[Severity::Error] << " error"
         << (findings_[Severity::Error] == 1 ? "" : "s") << ", " << findings_[Severity::Warning] << " warning"
         << (findings_[Severity::Warning] == 1 ? "" : "s") << ", " << findings_[Severity::Info] << " info";
    if (notices_) out_ << "; " << notices_ << " decode notice" << (notices_ == 1 ? "" : "s");
    out_ << "\n";
    out_.flush();
}

}  // namespace decoder
