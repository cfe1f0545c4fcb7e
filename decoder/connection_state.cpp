#include "decoder/connection_state.hpp"

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

namespace decoder {

namespace {

std::size_t index(Dir d) { return d == Dir::ClientToServer ? 0 : 1; }

constexpr std::size_t kMaxPending = 256;  // bounded even when nothing is ever answered

}  // namespace

std::size_t ConnectionState::PendingHash::operator()(PendingKey k) const noexcept {
    return std::hash<std::string_view>{}(k.method) ^ (std::size_t{k.cseq} * 0x9E3779B97F4A7C15ull);
}

void ConnectionState::observe(Dir dir, Micros ts, const Payload& payload) {
    const auto i = index(dir);
    if (const auto* sip = std::get_if<SipMessage>(&payload)) {
        ++messages_[i];
        if (!last_sip_) last_sip_ = Last{};  // not emplace(): clang 14 sees Last as not default-constructible here
        last_sip_->summary.assign(to_string(sender_side(dir)));
        last_sip_->summary += ' ';
        sip->append_summary(last_sip_->summary);
        last_sip_->ts = ts;
        last_sip_->from = sender_side(dir);
        const PendingKey key{sip->method, sip->cseq_number};
        if (sip->is_request && sip->method != "ACK") {
            if (pending_.size() < kMaxPending && pending_.find(key) == pending_.end())
                pending_.emplace(Pending{sip->method, sip->cseq_number}, requests_seen_++);
        } else if (!sip->is_request && sip->status >= 200) {
            if (const auto it = pending_.find(key); it != pending_.end()) pending_.erase(it);
        }
    } else if (const auto* tls = std::get_if<TlsMessage>(&payload)) {
        if (tls->type == "application_data") {
            ++records_[i];
            last_record_ = LastRecord{tls->length.value_or(0), ts, sender_side(dir)};
        }
    } else if (const auto* alert = std::get_if<TlsAlert>(&payload)) {
        // A close_notify or a fatal alert is where that side ended the connection, even if
        // the other side's FIN reaches the wire first.
        if (alert->description == "close_notify") {
            close_notify_[i] = true;
            mark_close(dir, CloseHow::CloseNotify, ts);
        } else if (alert->level == "fatal") {
            fatal_alert_[i] = alert->description;
            mark_close(dir, CloseHow::Alert, ts);
        }
    }
}

std::optional<ConnectionState::Last> ConnectionState::last_before_close() const {
    // Decoded SIP says more than an encrypted record, so it wins when there is any.
    if (last_sip_ || !last_record_) return last_sip_;
    return Last{std::string(to_string(last_record_->from)) + " application data record (" +
                    std::to_string(last_record_->length) + " bytes)",
                last_record_->ts, last_record_->from};
}

void ConnectionState::mark_close(Dir dir, CloseHow how, Micros ts) {
    if (first_close_) return;  // later closes are the answer to the first, not the cause
    const auto i = index(dir);
    if (how == CloseHow::Fin && close_notify_[i]) how = CloseHow::CloseNotify;
    else if (how == CloseHow::Fin && fatal_alert_[i]) how = CloseHow::Alert;
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
            if (fatal_alert_[i] || close_notify_[i]) {
                mark = CloseMark{d, fatal_alert_[i] ? CloseHow::Alert : CloseHow::CloseNotify, now,
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
