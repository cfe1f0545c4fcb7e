#include "decoder/sinks/ladder_model.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace decoder {

namespace {

// "server_hello_done" -> "ServerHelloDone"
std::string camel(const std::string& snake) {
    std::string out;
    bool upper = true;
    for (char ch : snake) {
        if (ch == '_') {
            upper = true;
            continue;
        }
        out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch;
        upper = false;
    }
    return out;
}

std::string how_word(const ConnClose& c) {
    switch (c.how) {
        case CloseHow::Fin: return "FIN";
        case CloseHow::Rst: return "RST";
        case CloseHow::CloseNotify: return "close_notify";
        case CloseHow::Alert: return "alert" + (c.alert ? " " + *c.alert : std::string());
        case CloseHow::Timeout: return "idle timeout";
        case CloseHow::CaptureEnd: return "capture end";
    }
    return "?";
}

Tone sip_tone(const SipMessage& m) {
    if (m.is_request) return Tone::Request;
    return m.status >= 300 ? Tone::Failure : Tone::Success;
}

}  // namespace

std::string tls_step_name(const TlsMessage& m) {
    if (m.type == "change_cipher_spec") return "CCS";
    if (m.type == "encrypted_handshake") return "Finished(encrypted)";
    static const std::map<std::string, std::string> kShort = {
        {"server_key_exchange", "ServerKeyExch"}, {"client_key_exchange", "ClientKeyExch"},
        {"certificate_request", "CertRequest"},   {"certificate_verify", "CertVerify"},
        {"server_hello_done", "HelloDone"},       {"encrypted_extensions", "EncryptedExt"},
        {"new_session_ticket", "SessionTicket"}};
    const auto known = kShort.find(m.type);
    std::string name = known != kShort.end() ? known->second : camel(m.type);
    if (m.type == "certificate" && m.certificate_count)
        name += *m.certificate_count == 0 ? "(empty)" : "(" + std::to_string(*m.certificate_count) + ")";
    if (m.type == "client_hello" && m.sni) name += " sni=" + *m.sni;
    return name;
}

std::string sip_arrow_label(const SipMessage& m) {
    const std::string cseq = std::to_string(m.cseq_number);
    if (m.is_request) return std::string(m.method) + " " + cseq;
    std::string s = std::to_string(m.status);
    if (!m.reason.empty()) s.append(" ").append(m.reason);
    if (m.ms_diagnostics) s += " [ms-diag " + std::to_string(m.ms_diagnostics->code) + "]";
    return s + " (" + cseq + " " + std::string(m.method) + ")";
}

bool unanswered_close(const ConnClose& c) {
    if (!c.by || (c.how != CloseHow::Fin && c.how != CloseHow::Rst && c.how != CloseHow::Alert)) return false;
    return !c.unanswered.empty() || (c.client_messages > 0 && c.server_messages == 0) ||
           (c.client_records > 0 && c.server_records == 0);
}

std::string teardown_label(const ConnClose& c) {
    std::string s = how_word(c);
    if (!c.unanswered.empty()) return s + " after " + c.unanswered.back() + ", no answer";
    if (unanswered_close(c)) return s + " after " + (c.client_messages ? "request" : "app data") + ", no answer";
    if (c.after) s += " after " + *c.after;
    return s;
}

std::string teardown_sentence(const ConnClose& c) {
    std::string s;
    if (c.by) {
        s = "closed by " + c.by->to_string() + (c.side ? std::string(" (") + to_string(*c.side) + ")" : "") +
            " with " + how_word(c);
    } else {
        s = c.how == CloseHow::Timeout ? "idle timeout, neither side closed"
                                       : "capture ended while the connection was open";
    }
    if (c.after) {
        s += c.ms_since_last_message ? " " + std::to_string(*c.ms_since_last_message) + " ms" : std::string();
        s += " after " + *c.after;
    }
    if (!c.unanswered.empty()) {
        s += "; never answered:";
        for (const auto& u : c.unanswered) s += " " + u;
    } else if (unanswered_close(c)) {
        s += "; nothing was answered";
    }
    return s;
}

std::string certificate_note(const Certificate& c) {
    std::string s = std::string(to_string(c.side)) + " cert #" + std::to_string(c.index) + ": CN=" +
                    (c.subject_cn.empty() ? "(none)" : c.subject_cn);
    if (c.wildcard_cn) s += "  WILDCARD CN";
    if (c.self_signed) s += "  self-signed";
    return s;
}

std::string ConnectionLadder::role(int column) const {
    if (columns_.size() != 2 || !client_column_) return {};
    return column == *client_column_ ? "client" : "server";
}

int ConnectionLadder::column(const Endpoint& e) {
    const auto it = std::find(columns_.begin(), columns_.end(), e);
    if (it != columns_.end()) return static_cast<int>(it - columns_.begin());
    columns_.push_back(e);
    return static_cast<int>(columns_.size() - 1);
}

void ConnectionLadder::push(LadderRow row) {
    if (rows_.size() >= kMaxRows) {
        ++dropped_;
        return;
    }
    rows_.push_back(std::move(row));
}

void ConnectionLadder::add(const Event& e) {
    if (const auto* f = e.as<Finding>()) {
        findings_.emplace_back(e.seq, *f);
        return;
    }
    transport_ = e.transport;
    // Columns in order of appearance; conn_* events run client -> server, so the client is left.
    const int from = column(e.src), to = column(e.dst);
    const bool tls = e.as<TlsMessage>() != nullptr, cert = e.as<Certificate>() != nullptr;
    if (!tls && !cert) flight_.reset();
    if (!cert) chain_.reset();
    if (e.as<ConnOpen>()) {
        const auto* o = e.as<ConnOpen>();
        client_column_ = from;
        if (e.transport == Transport::Udp) return;  // a UDP flow has no connect to draw
        push({RowKind::Connect, Tone::Muted, e.ts, from, to, o->handshake_seen ? "TCP connect" : "(already open)",
              {e.seq}});
    } else if (const auto* m = e.as<TlsMessage>()) {
        add_tls(e, *m);
    } else if (const auto* c = e.as<Certificate>()) {
        add_certificate(e, *c);
    } else if (const auto* s = e.as<SipMessage>()) {
        add_sip(e, *s);
    } else if (const auto* a = e.as<TlsAlert>()) {
        const std::string label = a->encrypted ? "alert (encrypted)" : "ALERT " + a->level + " " + a->description;
        const bool benign = !a->encrypted && a->code == AlertDescription::CloseNotify;
        push({RowKind::Alert, benign ? Tone::Tls : Tone::Problem, e.ts, from, to, label, {e.seq}});
    } else if (const auto* c = e.as<ConnClose>()) {
        add_close(e, *c);
    } else if (const auto* n = e.as<Notice>()) {
        push({RowKind::Notice, Tone::Problem, e.ts, from, std::nullopt, "! " + n->what + ": " + n->message, {e.seq}});
    }
}

void ConnectionLadder::add_tls(const Event& e, const TlsMessage& m) {
    const int from = column(e.src), to = column(e.dst);
    if (m.type == "application_data") {
        flight_.reset();
        auto* last = rows_.empty() ? nullptr : &rows_.back();
        if (last && last->kind == RowKind::Data && last->from == from) {
            ++last->count;
            last->seqs.push_back(e.seq);
            last->label = "app data x" + std::to_string(last->count);
            return;
        }
        std::string label = "app data";
        if (m.length) label += " " + std::to_string(*m.length) + " B";
        push({RowKind::Data, Tone::Muted, e.ts, from, to, label, {e.seq}});
        return;
    }
    if (flight_ && *flight_ < rows_.size() && rows_[*flight_].from == from) {
        auto& row = rows_[*flight_];
        row.label += "+" + tls_step_name(m);
        row.seqs.push_back(e.seq);
        return;
    }
    push({RowKind::Tls, Tone::Tls, e.ts, from, to, tls_step_name(m), {e.seq}});
    flight_ = rows_.size() - 1;
}

void ConnectionLadder::add_certificate(const Event& e, const Certificate& c) {
    const int from = column(e.src);
    if (c.index > 0 && chain_ && *chain_ < rows_.size()) {
        auto& row = rows_[*chain_];
        row.label += " > " + c.subject_cn + (c.self_signed ? " (self-signed)" : "");
        row.seqs.push_back(e.seq);
        return;
    }
    if (c.index > 0) {
        push({RowKind::Certificate, Tone::Muted, e.ts, from, std::nullopt,
              "chain: " + c.subject_cn + (c.self_signed ? " (self-signed)" : ""), {e.seq}});
        chain_ = rows_.size() - 1;
        return;
    }
    push({RowKind::Certificate, c.wildcard_cn ? Tone::Problem : Tone::Plain, e.ts, from, std::nullopt,
          certificate_note(c), {e.seq}});
    chain_.reset();
}

void ConnectionLadder::add_sip(const Event& e, const SipMessage& m) {
    push({RowKind::Sip, sip_tone(m), e.ts, column(e.src), column(e.dst), sip_arrow_label(m), {e.seq}});
}

void ConnectionLadder::add_close(const Event& e, const ConnClose& c) {
    close_ = c;
    client_column_ = column(e.src);  // conn_close runs client -> server
    if (!c.by) {
        push({RowKind::Teardown, Tone::Muted, e.ts, column(e.src), std::nullopt, teardown_label(c), {e.seq}});
        return;
    }
    const int by = column(*c.by);
    const int other = by == column(e.src) ? column(e.dst) : column(e.src);
    const bool bad = unanswered_close(c) || c.how == CloseHow::Rst || c.how == CloseHow::Alert;
    push({RowKind::Teardown, bad ? Tone::Problem : Tone::Muted, e.ts, by, other, teardown_label(c), {e.seq}});
}

}  // namespace decoder
