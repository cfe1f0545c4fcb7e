#include "decoder/analysis/diagnoser.hpp"

#include <algorithm>
#include <cctype>

#include "decoder/sip/sip_headers.hpp"
#include "decoder/base/text_util.hpp"

namespace decoder {

namespace {

std::size_t index(Side s) { return s == Side::Client ? 0 : 1; }

bool is_fqdn(std::string_view host) {
    return host.find('.') != std::string_view::npos && host.find(':') == std::string_view::npos &&
           std::any_of(host.begin(), host.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
}

// Host of a SIP URI inside a header value: "<sip:user@host:5061;transport=tls>" -> host.
// `require_no_user`: From names a server only when there is no user part.
std::string uri_host(std::string_view v, bool require_no_user) {
    const auto start = v.find("sip:") != std::string_view::npos ? v.find("sip:") + 4
                       : v.find("sips:") != std::string_view::npos ? v.find("sips:") + 5
                                                                    : std::string_view::npos;
    if (start == std::string_view::npos) return {};
    v.remove_prefix(start);
    const auto end = v.find_first_of(";>? \t,");
    auto hostport = v.substr(0, end);
    const auto at = hostport.find('@');
    if (at != std::string_view::npos) {
        if (require_no_user) return {};
        hostport.remove_prefix(at + 1);
    }
    if (!hostport.empty() && hostport.front() == '[') return {};  // IPv6 literal
    return std::string(hostport.substr(0, hostport.find(':')));
}

std::string param(std::string_view v, std::string_view name) {
    const auto key = ";" + std::string(name) + "=";
    const auto p = lower(v).find(key);
    if (p == std::string::npos) return {};
    const auto value = v.substr(p + key.size());
    return std::string(value.substr(0, value.find_first_of(";>, \t")));
}

}  // namespace

std::optional<std::pair<std::string, std::string>> sender_fqdn(const SipMessage& m) {
    if (auto maddr = param(m.contact, "maddr"); is_fqdn(maddr)) return std::pair{maddr, "Contact maddr"};
    if (auto host = uri_host(m.contact, false); is_fqdn(host)) return std::pair{host, "Contact header"};
    if (!m.is_request) return std::nullopt;  // a response's Via and From name the requester
    if (!m.via.empty()) {
        // "SIP/2.0/TLS host:port;branch=..." -> host
        const std::string_view via = m.via.front();
        const auto sp = via.find(' ');
        if (sp != std::string_view::npos) {
            auto sent_by = trim(via.substr(sp + 1));
            sent_by = sent_by.substr(0, sent_by.find_first_of(";:"));
            if (is_fqdn(sent_by)) return std::pair{std::string(sent_by), "Via header"};
        }
    }
    if (auto host = uri_host(m.from, true); is_fqdn(host)) return std::pair{host, "From header"};
    return std::nullopt;
}

Diagnoser::Diagnoser(EventBus& bus, DiagnosisOptions options) : bus_(bus), options_(std::move(options)) {
    if (!options_.ca_file.empty()) roots_.emplace(options_.ca_file);
}

void Diagnoser::emit(const Event& cause, const ConnInfo& info, FindingDraft draft,
                     std::vector<std::uint64_t> evidence) {
    Event e;
    e.ts = cause.ts;
    e.conn = cause.conn;
    e.src = info.client;
    e.dst = info.server;
    e.transport = cause.transport;
    e.payload = Finding{draft.severity, std::move(draft.code), std::move(draft.message), std::move(evidence),
                        std::move(draft.redirect)};
    bus_.emit(std::move(e));
}

// um-redirect findings belong to the redirected connection, which may have ended long ago.
void Diagnoser::emit_redirects(Micros at) {
    for (auto& r : redirect_findings_) {
        Event e;
        e.ts = at;
        e.conn = r.conn;
        e.src = r.client;
        e.dst = r.server;
        e.transport = r.transport;
        e.payload = Finding{r.draft.severity, std::move(r.draft.code), std::move(r.draft.message),
                            std::move(r.evidence), std::move(r.draft.redirect)};
        bus_.emit(std::move(e));
    }
    redirect_findings_.clear();
}

void Diagnoser::on_end() {
    redirects_.on_end(redirect_findings_);
    emit_redirects(last_ts_);
}

void Diagnoser::on_event(const Event& e) {
    if (e.as<Finding>() || e.as<Notice>()) return;
    last_ts_ = std::max(last_ts_, e.ts);
    redirects_.on_event(e, redirect_findings_);
    if (!redirect_findings_.empty()) emit_redirects(e.ts);
    if (e.as<ConnOpen>()) {
        conns_[e.conn] = ConnInfo{e.src, e.dst, e.transport, {}, {}};
        return;
    }
    const auto it = conns_.find(e.conn);
    if (it == conns_.end()) return;
    auto& info = it->second;
    info.transport = e.transport;
    if (const auto* m = e.as<TlsMessage>()) on_tls(e, info, *m);
    else if (const auto* c = e.as<Certificate>()) on_certificate(e, info, *c);
    else if (const auto* s = e.as<SipMessage>()) on_sip(e, info, *s);
    else if (const auto* a = e.as<TlsAlert>()) {
        const Side sender = e.src == info.client ? Side::Client : Side::Server;
        if (auto f = check_alert(*a, sender, e.src)) emit(e, info, std::move(*f), {e.seq});
        if (sender == Side::Server && !a->encrypted && a->is_fatal()) check_refusal(e, info, {.alert = a->code});
        if (a->is_fatal() && a->code != AlertDescription::CloseNotify && !a->encrypted)
            check_weak_signatures(e, info, sender == Side::Client ? Side::Server : Side::Client, a->description);
    } else if (const auto* c = e.as<ConnClose>()) {
        on_close(e, info, *c);
        conns_.erase(it);
    }
}

void Diagnoser::on_tls(const Event& e, ConnInfo& info, const TlsMessage& m) {
    if (m.type == "certificate_request") {
        info.certificate_request_seq = e.seq;
        info.certificate_request = m;
    }
    if (m.type == "client_hello" && e.src == info.client) {
        info.client_hello = m;
        info.client_hello_seq = e.seq;
    }
    if (m.type == "server_hello") info.client_hello.reset();  // answered: no refusal to name
    // The other side carrying on (ChangeCipherSpec, Finished, a ticket, data) accepted the
    // sender's peer's certificates: their weak signatures are warnings, said now rather than at
    // the end of what may be a long connection.
    if (m.type == "change_cipher_spec" || m.type == "finished" || m.type == "new_session_ticket" ||
        m.type == "application_data")
        check_weak_signatures(e, info, e.src == info.client ? Side::Server : Side::Client, "");
    if (m.type != "certificate" || !m.certificate_count) return;
    const Side side = e.src == info.client ? Side::Client : Side::Server;
    info.sides[index(side)].announced = *m.certificate_count;
    if (*m.certificate_count == 0 && side == Side::Client && info.certificate_request_seq) {
        emit(e, info, no_client_certificate(info.client), {*info.certificate_request_seq, e.seq});
        check_ca_list(e, info, CaListAnswer::NoCertificate);
    }
}

void Diagnoser::on_certificate(const Event& e, ConnInfo& info, const Certificate& c) {
    auto& s = info.sides[index(c.side)];
    if (s.chain.size() >= 16) return;  // a longer chain is noise; the first 16 say enough
    s.chain.push_back(c);
    s.chain_seq.push_back(e.seq);
    for (auto& f : check_certificate(c, e.ts)) emit(e, info, std::move(f), {e.seq});
    const Endpoint& owner = c.side == Side::Client ? info.client : info.server;
    if (auto f = check_weak_key(c, owner)) emit(e, info, std::move(*f), {e.seq});
    if (check_weak_signature(c, owner, owner, "")) s.weak_signatures.push_back(s.chain.size() - 1);
    if (info.certificate_request)  // mutual TLS: the client's certificate must allow client use
        if (auto f = check_client_auth_eku(c, info.client, info.server)) emit(e, info, std::move(*f), {e.seq});
    if (c.index == 0) check_name(e, info, c.side, false);
    if (s.announced && static_cast<int>(s.chain.size()) >= *s.announced) {
        check_chain(e, info, c.side);
        if (c.side == Side::Client) check_ca_list(e, info, CaListAnswer::Unknown);
    }
}

void Diagnoser::on_sip(const Event& e, ConnInfo& info, const SipMessage& m) {
    if (auto f = check_sip_response(m, e.src)) emit(e, info, std::move(*f), {e.seq});
    if (auto f = check_ms_diagnostics(m, e.src)) emit(e, info, std::move(*f), {e.seq});
    // The name a side gives itself is only ever checked against its TLS certificate
    // (check_name); plain SIP (most messages of a large capture) has none to check.
    if (e.transport != Transport::Tls) return;
    const Side side = e.src == info.client ? Side::Client : Side::Server;
    auto& s = info.sides[index(side)];
    if (!s.sip_name.empty()) return;
    if (auto named = sender_fqdn(m)) {
        s.sip_name = named->first;
        s.sip_name_source = "named in its SIP " + named->second;
        s.sip_name_seq = e.seq;
        check_name(e, info, side, false);
    }
}

void Diagnoser::check_name(const Event& e, ConnInfo& info, Side side, bool final) {
    auto& s = info.sides[index(side)];
    if (s.name_checked || s.chain.empty() || s.chain.front().index != 0) return;
    std::string expected = s.sip_name, source = s.sip_name_source;
    std::vector<std::uint64_t> evidence{s.chain_seq.front()};
    if (side == Side::Client && !options_.expect_peer.empty()) {
        expected = options_.expect_peer;
        source = "--expect-peer";
    } else if (!expected.empty()) {
        evidence.push_back(s.sip_name_seq);
    }
    if (expected.empty() && !final) return;  // a SIP message may still name the host
    s.name_checked = true;
    for (auto& f : check_leaf_name(s.chain.front(), expected, source)) emit(e, info, std::move(f), evidence);
}

void Diagnoser::check_chain(const Event& e, ConnInfo& info, Side side) {
    auto& s = info.sides[index(side)];
    if (s.chain_checked || s.chain.empty() || !roots_) return;
    s.chain_checked = true;
    if (auto f = check_chain_trust(s.chain, *roots_)) emit(e, info, std::move(*f), s.chain_seq);
}

void Diagnoser::on_close(const Event& e, ConnInfo& info, const ConnClose& c) {
    for (Side side : {Side::Client, Side::Server}) {
        check_chain(e, info, side);
        check_name(e, info, side, true);
        check_weak_signatures(e, info, side, "");
    }
    check_ca_list(e, info, CaListAnswer::Unknown);
    // A server that closes right after the ClientHello, without an alert, refused it too.
    if (c.side == Side::Server && (c.how == CloseHow::Fin || c.how == CloseHow::Rst))
        check_refusal(e, info, {.close = c.how});
    for (auto& f : check_close(c, e.transport, info.client, info.server)) emit(e, info, std::move(f), {e.seq});
}

// issuer-not-in-ca-list and ca-list-too-long, once the client has answered the
// CertificateRequest (or the connection ended). A chain the client sent decides the answer
// whatever `answer` says.
void Diagnoser::check_ca_list(const Event& e, ConnInfo& info, CaListAnswer answer) {
    if (!info.certificate_request || info.ca_list_checked) return;
    info.ca_list_checked = true;
    const auto& client = info.sides[index(Side::Client)];
    std::vector<std::uint64_t> evidence{*info.certificate_request_seq};
    std::optional<std::size_t> position;
    if (!client.chain.empty()) {
        evidence.insert(evidence.end(), client.chain_seq.begin(), client.chain_seq.end());
        position = listed_issuer_position(client.chain, info.certificate_request->ca_names);
        answer = position || info.certificate_request->ca_names.empty() ? CaListAnswer::IssuerListed
                                                                       : CaListAnswer::IssuerNotListed;
        if (auto f = check_issuer_in_ca_list(client.chain, *info.certificate_request, info.client, info.server))
            emit(e, info, std::move(*f), evidence);
    } else if (answer == CaListAnswer::NoCertificate) {
        evidence.push_back(e.seq);
    }
    if (auto f = check_ca_list_size(*info.certificate_request, answer, info.client, info.server, position))
        emit(e, info, std::move(*f), evidence);
}

// weak-signature for `side`'s certificates: errors with the alert that refused them, or
// warnings when the connection ends without one.
void Diagnoser::check_weak_signatures(const Event& e, ConnInfo& info, Side side, std::string_view refusal) {
    auto& s = info.sides[index(side)];
    const Endpoint& owner = side == Side::Client ? info.client : info.server;
    const Endpoint& peer = side == Side::Client ? info.server : info.client;
    for (std::size_t i : s.weak_signatures) {
        std::vector<std::uint64_t> evidence{s.chain_seq[i]};
        if (!refusal.empty()) evidence.push_back(e.seq);
        if (auto f = check_weak_signature(s.chain[i], owner, peer, refusal)) emit(e, info, std::move(*f), evidence);
    }
    s.weak_signatures.clear();
}

void Diagnoser::check_refusal(const Event& e, ConnInfo& info, const HelloRefusal& refusal) {
    if (!info.client_hello || info.refusal_named) return;
    if (auto f = check_refused_hello(*info.client_hello, refusal, info.client, info.server)) {
        info.refusal_named = true;
        emit(e, info, std::move(*f), {info.client_hello_seq, e.seq});
    }
}

}  // namespace decoder
