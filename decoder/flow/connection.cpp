#include "decoder/flow/connection.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include "decoder/flow/connection_state.hpp"
#include "decoder/sip/sip_parser.hpp"
#include "decoder/sip/sip_stream.hpp"
#include "decoder/tls/tls_names.hpp"
#include "decoder/tls/tls_session.hpp"

namespace decoder {

namespace {

enum class Content { Unknown, Sip, Tls, Other };

constexpr std::size_t kSniffBytes = 32;  // enough to tell TLS from a SIP start line

bool is_sip_port(std::uint16_t port) { return port == 5060 || port == 5061; }

std::span<const std::byte> as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

std::size_t index(Dir d) { return d == Dir::ClientToServer ? 0 : 1; }

}  // namespace

struct Connection::Impl {
    Impl(Transport b, Micros ts, bool syn, const KeyLog* k) : base(b), open_ts(ts), handshake_seen(syn), keys(k) {}

    Transport base;
    Micros open_ts;
    bool handshake_seen;
    bool report_always = false;
    const KeyLog* keys;
    Content content = Content::Unknown;
    bool open_emitted = false;
    std::array<std::string, 2> sniffed;  // bytes held until the content is recognised
    std::array<SipStream, 2> sip;
    std::unique_ptr<TlsSession> tls;
    ConnectionState state;
    std::vector<Payload> scratch;
    // Reused for every event: its endpoints are copied only when the direction changes, and
    // the bus delivers it where it is rather than moving it (see send()).
    Event event;
    std::optional<Dir> event_dir;  // whose endpoints event.src/dst hold; empty when moved away
};

Connection::Connection(EventBus& bus, std::uint64_t id, Endpoint client, Endpoint server,
                       Transport base, Micros ts, bool handshake_seen, const KeyLog* keys)
    : bus_(bus), id_(id), client_(std::move(client)), server_(std::move(server)),
      impl_(std::make_unique<Impl>(base, ts, handshake_seen, keys)) {}

Connection::~Connection() = default;

bool Connection::ignored() const { return impl_->content == Content::Other && !impl_->report_always; }

void Connection::report_always() noexcept { impl_->report_always = true; }

Event& Connection::prepare(Dir dir, Micros ts) {
    auto& e = impl_->event;
    if (impl_->event_dir != dir) {
        e.src = dir == Dir::ClientToServer ? client_ : server_;
        e.dst = dir == Dir::ClientToServer ? server_ : client_;
        impl_->event_dir = dir;
    }
    e.ts = ts;
    e.conn = id_;
    e.transport = impl_->content == Content::Tls ? Transport::Tls : impl_->base;
    return e;
}

void Connection::send(Event& e) {
    if (!bus_.delivers_in_place()) {  // collected for another thread, or emitted from a sink
        impl_->event_dir.reset();
        bus_.emit(std::move(e));
        return;
    }
    bus_.emit_in_place(e);
    e.payload.emplace<ConnOpen>();  // frees the payload now, as a moved-away event did
}

void Connection::emit(Dir dir, Micros ts, Payload&& payload) {
    Event& e = prepare(dir, ts);
    e.payload = std::move(payload);
    send(e);
}

void Connection::ensure_open() {
    if (impl_->open_emitted) return;
    impl_->open_emitted = true;
    emit(Dir::ClientToServer, impl_->open_ts, ConnOpen{impl_->handshake_seen});
}

void Connection::deliver(Dir dir, Micros ts, std::vector<Payload>& payloads) {
    if (payloads.empty()) return;
    const EventBus::Batch batch(bus_);  // one flush for what this input gave
    for (auto& p : payloads) {
        impl_->state.observe(dir, ts, p);
        emit(dir, ts, std::move(p));
    }
    payloads.clear();
}

void Connection::on_data(Dir dir, std::span<const std::byte> data, Micros ts) noexcept {
    if (closed_ || data.empty()) return;
    try {
        if (impl_->base == Transport::Udp) return on_datagram(dir, data, ts);
        if (impl_->content == Content::Unknown) return sniff(dir, data, ts);
        decode(dir, data, ts);
    } catch (const std::exception& e) {
        report_failure(dir, ts, e.what());
    }
}

void Connection::on_plaintext(Dir dir, std::span<const std::byte> data, Micros ts) noexcept {
    if (closed_ || data.empty()) return;
    try {
        if (impl_->content != Content::Tls) {  // a relay may not have fed the records first
            impl_->content = Content::Tls;
            ensure_open();
        }
        impl_->sip[index(dir)].feed(data, impl_->scratch);
        deliver(dir, ts, impl_->scratch);
    } catch (const std::exception& e) {
        report_failure(dir, ts, e.what());
    }
}

void Connection::on_payload(Dir dir, Payload payload, Micros ts) noexcept {
    if (closed_) return;
    try {
        // A fact about TLS makes this a TLS connection; a relay's notice about a plain one does not.
        const bool tls_fact = !std::holds_alternative<Notice>(payload);
        if (tls_fact && (impl_->content == Content::Unknown || impl_->content == Content::Other))
            impl_->content = Content::Tls;
        ensure_open();
        impl_->scratch.push_back(std::move(payload));
        deliver(dir, ts, impl_->scratch);
    } catch (const std::exception& e) {
        report_failure(dir, ts, e.what());
    }
}

// Holds the first bytes until they say TLS, SIP or neither, then replays them.
void Connection::sniff(Dir dir, std::span<const std::byte> data, Micros ts) {
    auto& held = impl_->sniffed[index(dir)];
    const auto take = std::min(data.size(), kSniffBytes - std::min(held.size(), kSniffBytes));
    held.append(reinterpret_cast<const char*>(data.data()), take);
    const auto rest = data.subspan(take);

    const bool tls = held.size() >= 3 && looks_like_tls(as_bytes(held));
    const auto sip = looks_like_sip(held);
    const bool tls_start = held.size() < 3 && held[0] == '\x16' && (held.size() < 2 || held[1] == '\x03');
    if (tls_start) return;  // a handshake record header cut short: wait for its 3rd byte
    if (tls) {
        impl_->content = Content::Tls;
        impl_->tls = std::make_unique<TlsSession>(impl_->keys);
        impl_->tls->set_plaintext_handler([this](Dir d, std::span<const std::byte> bytes, std::vector<Payload>& out) {
            impl_->sip[index(d)].feed(bytes, out);  // decrypted with the key log
        });
    } else if (sip == SipGuess::Yes) {
        impl_->content = Content::Sip;
    } else if (sip == SipGuess::No || held.size() >= kSniffBytes) {
        impl_->content = Content::Other;
        if (impl_->report_always) {
            ensure_open();
            char first[64];
            std::snprintf(first, sizeof first, "neither TLS nor SIP (the %s's first byte is 0x%02x)",
                          to_string(sender_side(dir)), static_cast<unsigned char>(held[0]));
            impl_->scratch.emplace_back(Notice{"not-sip-or-tls", first});
            deliver(dir, ts, impl_->scratch);
        }
        impl_->sniffed = {};
        return;
    } else {
        return;  // need more bytes
    }
    ensure_open();
    for (Dir d : {Dir::ClientToServer, Dir::ServerToClient}) {
        auto replay = std::move(impl_->sniffed[index(d)]);
        if (!replay.empty()) decode(d, as_bytes(replay), ts);
    }
    if (!rest.empty()) decode(dir, rest, ts);
}

void Connection::decode(Dir dir, std::span<const std::byte> data, Micros ts) {
    auto& out = impl_->scratch;
    if (impl_->content == Content::Tls) impl_->tls->feed(dir, data, out);
    else if (impl_->content == Content::Sip) impl_->sip[index(dir)].feed(data, out);
    deliver(dir, ts, out);
}

void Connection::on_datagram(Dir dir, std::span<const std::byte> data, Micros ts) {
    const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
    if (text.find_first_not_of("\r\n") == std::string_view::npos) return;  // keep-alive
    if (impl_->content == Content::Other) return;
    if (impl_->content == Content::Unknown) {
        if (looks_like_sip(text) != SipGuess::Yes) {
            impl_->content = Content::Other;
            return;
        }
        impl_->content = Content::Sip;
        ensure_open();
    }
    auto result = parse_sip_message(text, SipFraming::Datagram);
    // One datagram, one event: built in the reused event rather than through scratch.
    Event& e = prepare(dir, ts);
    if (result.status == ParseStatus::Complete) e.payload.emplace<SipMessage>(std::move(result.value));
    else e.payload.emplace<Notice>(Notice{"sip-error", result.error.empty() ? "incomplete SIP datagram" : result.error});
    impl_->state.observe(dir, ts, e.payload);
    send(e);
}

void Connection::on_gap(Dir dir, std::uint64_t bytes, Micros ts) noexcept {
    if (closed_ || impl_->content == Content::Other) return;
    try {
        ensure_open();
        auto& out = impl_->scratch;
        out.emplace_back(Notice{"gap", std::to_string(bytes) + " bytes missing from the " +
                                           to_string(sender_side(dir)) +
                                           "'s stream; that direction is no longer decoded"});
        if (impl_->content == Content::Tls) impl_->tls->gap(dir);
        else if (impl_->content == Content::Sip) impl_->sip[index(dir)].gap(out);
        else impl_->content = Content::Other;  // cannot tell what it was any more
        deliver(dir, ts, out);
    } catch (const std::exception& e) {
        report_failure(dir, ts, e.what());
    }
}

void Connection::on_fin(Dir dir, Micros ts) noexcept {
    if (closed_) return;
    try {
        if (impl_->content == Content::Sip) {
            impl_->sip[index(dir)].finish(impl_->scratch);
            deliver(dir, ts, impl_->scratch);
        }
        impl_->state.on_fin(dir, ts);
        if (impl_->state.both_finished()) close(ts, CloseHow::CaptureEnd);
    } catch (const std::exception& e) {
        report_failure(dir, ts, e.what());
    }
}

void Connection::on_rst(Dir dir, Micros ts) noexcept {
    if (closed_) return;
    try {
        impl_->state.on_rst(dir, ts);
        close(ts, CloseHow::CaptureEnd);
    } catch (const std::exception& e) {
        report_failure(dir, ts, e.what());
    }
}

void Connection::finish(CloseHow how, Micros ts) noexcept {
    if (closed_) return;
    try {
        close(ts, how);
    } catch (const std::exception& e) {
        report_failure(Dir::ClientToServer, ts, e.what());
        closed_ = true;
    }
}

void Connection::close(Micros ts, CloseHow how_if_nobody_closed) {
    if (closed_) return;
    closed_ = true;
    const bool silent_tcp = impl_->content == Content::Unknown && impl_->base == Transport::Tcp &&
                            (is_sip_port(client_.port) || is_sip_port(server_.port));
    if (impl_->content != Content::Sip && impl_->content != Content::Tls && !silent_tcp && !impl_->report_always)
        return;
    ensure_open();
    ConnClose c = impl_->state.make_close(how_if_nobody_closed, ts, client_, server_);
    // Without keys a TLS 1.3 handshake looks complete once both flights are seen; a refusal
    // alert (known from decryption or the relay) says the server rejected the client's flight.
    if (impl_->tls)
        c.handshake_complete = impl_->tls->handshake_complete() && !(c.alert && tls::is_handshake_refusal(*c.alert));
    emit(Dir::ClientToServer, ts, std::move(c));
}

void Connection::report_failure(Dir dir, Micros ts, const char* what) noexcept {
    try {
        emit(dir, ts, Notice{"internal-error", std::string("decoder: ") + what});
    } catch (...) {
    }
}

}  // namespace decoder
