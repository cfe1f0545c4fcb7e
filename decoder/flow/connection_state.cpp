#include "decoder/flow/connection_state.hpp"

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

namespace decoder {

namespace {

std::size_t index(Dir d) { return d == Dir::ClientToServer ? 0 : 1; }

constexpr std::size_t kMaxPending = 256;  // bounded even when nothing is ever answered

// A TLS 1.3 alert is an application_data record of 19 bytes: two bytes of alert, one of
// content type and a 16-byte AEAD tag.
constexpr std::uint64_t kTls13AlertRecord = 19;

// Whether a TLS 1.2 encrypted record can hold exactly one two-byte alert: AES-GCM/CCM
// (8-byte explicit nonce + 2 + 16-byte tag = 26), ChaCha20-Poly1305 (2 + 16 = 18), or CBC:
// a 16-byte IV and one block of alert, MAC and padding, with the MAC (SHA-1, SHA-256,
// SHA-384) inside the blocks or, with encrypt-then-MAC, after them.
bool alert_sized(std::uint64_t length) {
    if (length == 18 || length == 26) return true;
    for (std::uint64_t mac : {0u, 20u, 32u, 48u}) {
        if (length <= mac) continue;
        const std::uint64_t blocks = length - mac;
        if (blocks % 16 == 0 && blocks >= 32 && blocks <= 16 + 64) return true;
    }
    return false;
}

}  // namespace

std::size_t ConnectionState::PendingHash::operator()(PendingKey k) const noexcept {
    // The CSeq number tells most waiting requests apart; the method's length and first and
    // last letters tell the few methods apart without hashing every byte (equal keys still
    // compare whole methods).
    std::uint64_t m = k.method.size();
    if (!k.method.empty()) m |= std::uint64_t{static_cast<unsigned char>(k.method.front())} << 8 |
                                std::uint64_t{static_cast<unsigned char>(k.method.back())} << 16;
    return static_cast<std::size_t>((std::uint64_t{k.cseq} ^ (m << 32)) * 0x9E3779B97F4A7C15ull);
}

void ConnectionState::observe(Dir dir, Micros ts, const Payload& payload) {
    const auto i = index(dir);
    if (const auto* sip = std::get_if<SipMessage>(&payload)) {
        ++messages_[i];
        if (!last_sip_) last_sip_ = LastSip{};  // not emplace(): clang 14 sees it as not default-constructible here
        auto& last = *last_sip_;
        last.ts = ts;
        last.from = sender_side(dir);
        auto& head = last.head;
        head.text = sip->text;  // keeps what the views below point into
        if (head.text) {
            head.is_request = sip->is_request;
            head.method = sip->method;
            head.request_uri = sip->request_uri;
            head.status = sip->status;
            head.reason = sip->reason;
            head.cseq = sip->cseq;
        } else {  // its views point into a buffer that will not outlive it
            last.summary.clear();
            sip->append_summary(last.summary);
        }
        const PendingKey key{sip->method, sip->cseq_number};
        if (sip->is_request && sip->method != "ACK") {
            // One lookup: a retransmission finds its request and keeps its place.
            if (pending_.size() < kMaxPending &&
                pending_.try_emplace(Pending{std::string(sip->method), sip->cseq_number}, requests_seen_).second)
                ++requests_seen_;
        } else if (!sip->is_request && sip->status >= 200) {
            if (const auto it = pending_.find(key); it != pending_.end()) pending_.erase(it);
        }
    } else if (const auto* tls = std::get_if<TlsMessage>(&payload)) {
        if (tls->type == "application_data") on_record(dir, ts, *tls);
    } else if (const auto* alert = std::get_if<TlsAlert>(&payload)) {
        if (alert->encrypted) return on_encrypted_alert(dir, ts, alert_sized(alert->length.value_or(0)));
        // A close_notify or a fatal alert is where that side ended the connection, even if
        // the other side's FIN reaches the wire first.
        if (alert->code == AlertDescription::CloseNotify) {
            close_notify_[i] = true;
            mark_close(dir, CloseHow::CloseNotify, ts);
        } else if (alert->is_fatal()) {
            fatal_alert_[i] = alert->description;
            mark_close(dir, CloseHow::Alert, ts);
        }
    }
}

void ConnectionState::on_record(Dir dir, Micros ts, const TlsMessage& tls) {
    const Side from = sender_side(dir);
    const bool new_run = !last_record_ || last_record_->from != from;
    // Without keys a TLS 1.3 alert looks like data. A 19-byte record that opens a new run
    // after a request was answered (server flight; client flight and request; tickets and
    // answer) is the sender ending the connection, not a new request: counting it as one
    // would blame the other side's FIN for leaving it unanswered. A server's fatal alert
    // right after the client's flight opens only the third run and stays a record.
    if (tls.encrypted && tls.version == "TLS 1.3" && tls.length == kTls13AlertRecord && new_run &&
        record_runs_ >= 3)
        return on_encrypted_alert(dir, ts, true);
    if (new_run) ++record_runs_;
    ++records_[index(dir)];
    last_record_ = LastRecord{tls.length.value_or(0), ts, from};
}

void ConnectionState::on_encrypted_alert(Dir dir, Micros ts, bool alert_sized) {
    const auto i = index(dir);
    if (encrypted_alert_[i] || fatal_alert_[i] || close_notify_[i]) return;
    // An alert sent after the other side's last record answered ours is how a TLS stack
    // says goodbye; a fatal alert would have come before the answer, not after it.
    const bool answered = last_record_ && last_record_->from != sender_side(dir);
    encrypted_alert_[i] = alert_sized && answered ? "encrypted alert (probably close_notify)" : "encrypted alert";
    mark_close(dir, CloseHow::Alert, ts);
}

std::optional<ConnectionState::Last> ConnectionState::last_before_close() const {
    // Decoded SIP says more than an encrypted record, so it wins when there is any.
    if (last_sip_) {
        const auto& l = *last_sip_;
        Last last{std::string(to_string(l.from)) + ' ', l.ts, l.from};
        if (l.head.text) l.head.append_summary(last.summary);
        else last.summary += l.summary;
        return last;
    }
    if (!last_record_) return std::nullopt;
    return Last{std::string(to_string(last_record_->from)) + " application data record (" +
                    std::to_string(last_record_->length) + " bytes)",
                last_record_->ts, last_record_->from};
}

void ConnectionState::mark_close(Dir dir, CloseHow how, Micros ts) {
    if (first_close_) return;  // later closes are the answer to the first, not the cause
    const auto i = index(dir);
    if (how == CloseHow::Fin && close_notify_[i]) how = CloseHow::CloseNotify;
    else if (how == CloseHow::Fin && (fatal_alert_[i] || encrypted_alert_[i])) how = CloseHow::Alert;
    first_close_ = CloseMark{dir, how, ts, last_before_close()};
}

void ConnectionState::on_fin(Dir dir, Micros ts) {
    fin_[index(dir)] = true;
    mark_close(dir, CloseHow::Fin, ts);
}

void ConnectionState::on_rst(Dir dir, Micros ts) { mark_close(dir, CloseHow::Rst, ts); }

ConnClose ConnectionState::make_close(CloseHow how_if_nobody_closed, Micros now,
                                      const Endpoint& client, const Endpoint& server) const {
    ConnClose c;
    std::optional<CloseMark> mark = first_close_;
    if (!mark) {
        // Nobody closed the TCP connection, but a side may have ended TLS with an alert.
        for (Dir d : {Dir::ClientToServer, Dir::ServerToClient}) {
            const auto i = index(d);
            if (fatal_alert_[i] || close_notify_[i] || encrypted_alert_[i]) {
                mark = CloseMark{d, fatal_alert_[i] || encrypted_alert_[i] ? CloseHow::Alert : CloseHow::CloseNotify, now,
                                 last_before_close()};
                break;
            }
        }
    }
    std::optional<Last> last = mark ? mark->last : last_before_close();
    if (mark) {
        c.by = mark->dir == Dir::ClientToServer ? client : server;
        c.side = sender_side(mark->dir);
        c.how = mark->how;
        if (fatal_alert_[index(mark->dir)]) c.alert = fatal_alert_[index(mark->dir)];
        else if (encrypted_alert_[index(mark->dir)]) c.alert = encrypted_alert_[index(mark->dir)];
    } else {
        c.how = how_if_nobody_closed;
    }
    if (last) {
        c.after = last->summary;
        c.after_from = last->from;
        c.ms_since_last_message = ((mark ? mark->ts : now) - last->ts) / 1000;
    }
    std::vector<std::pair<std::uint64_t, const Pending*>> waiting;  // in the order they were sent
    waiting.reserve(pending_.size());
    for (const auto& [p, order] : pending_) waiting.emplace_back(order, &p);
    std::sort(waiting.begin(), waiting.end());
    for (const auto& [order, p] : waiting) c.unanswered.push_back(p->method + " " + std::to_string(p->cseq));
    c.client_records = records_[0];
    c.server_records = records_[1];
    c.client_messages = messages_[0];
    c.server_messages = messages_[1];
    return c;
}

}  // namespace decoder
