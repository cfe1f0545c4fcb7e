#include "proxy/leg_recorder.hpp"

#include <mutex>
#include <utility>

namespace proxy {

using decoder::Dir;
using Kind = HeldInput::Kind;

LegRecorder::LegRecorder(EventGate& gate, decoder::Endpoint client, decoder::Endpoint server,
                         decoder::Transport base, bool tls)
    : gate_(gate),
      connection_(gate.bus(), gate.next_conn_id(), std::move(client), std::move(server), base,
                  EventGate::now(), true, &keys_),
      hold_(tls) {}

LegRecorder::~LegRecorder() { finish(decoder::CloseHow::Timeout); }

void LegRecorder::wire(Dir dir, std::span<const std::byte> data) noexcept {
    std::lock_guard lock(gate_.mutex());
    const auto now = EventGate::now();
    if (hold_.active()) {
        try {
            if (!hold_.add({Kind::Data, dir, now, {data.begin(), data.end()}, std::nullopt})) release_locked();
            return;
        } catch (...) {
            release_locked();  // out of memory: stop holding and decode this as it comes
        }
    }
    feed(dir, data, now);
}

void LegRecorder::plaintext(Dir dir, std::span<const std::byte> data) noexcept {
    std::lock_guard lock(gate_.mutex());
    const auto now = EventGate::now();
    if (!decrypts_) connection_.on_plaintext(dir, data, now);
    if (pcap_ && pcap_decrypted_) pcap_->data(dir, data, now);
}

void LegRecorder::payload(Dir dir, decoder::Payload payload) noexcept {
    std::lock_guard lock(gate_.mutex());
    HeldInput input{Kind::Payload, dir, EventGate::now(), {}, std::move(payload)};
    if (!hold_.active()) return apply(input);
    if (!hold_.add(std::move(input))) release_locked();
}

void LegRecorder::fin(Dir dir) noexcept {
    std::lock_guard lock(gate_.mutex());
    HeldInput input{Kind::Fin, dir, EventGate::now(), {}, std::nullopt};
    if (!hold_.active()) return apply(input);
    if (!hold_.add(std::move(input))) release_locked();
}

void LegRecorder::rst(Dir dir) noexcept {
    std::lock_guard lock(gate_.mutex());
    HeldInput input{Kind::Rst, dir, EventGate::now(), {}, std::nullopt};
    if (!hold_.active()) return apply(input);
    if (!hold_.add(std::move(input))) release_locked();
}

void LegRecorder::finish(decoder::CloseHow how) noexcept {
    std::lock_guard lock(gate_.mutex());
    if (hold_.active()) release_locked();
    connection_.finish(how, EventGate::now());
}

void LegRecorder::secret(const char* line) noexcept {
    std::lock_guard lock(gate_.mutex());
    std::string text = std::string(line) + '\n';
    if (hold_.active()) secrets_ += text;
    else add_secrets_locked(text);
}

void LegRecorder::add_secrets_locked(const std::string& lines) noexcept {
    if (lines.empty()) return;
    try {
        std::vector<std::string> problems;  // OpenSSL's own lines: nothing to report
        keys_.add_text(lines, "the relay's TLS secrets", problems);
    } catch (...) {
    }
    if (capture_file_) capture_file_->write_tls_secrets(lines);
}

void LegRecorder::feed(Dir dir, std::span<const std::byte> data, decoder::Micros ts) noexcept {
    connection_.on_data(dir, data, ts);
    if (pcap_ && !pcap_decrypted_) pcap_->data(dir, data, ts);
    if (capture_) capture_->data(dir, data, ts);
}

void LegRecorder::apply(HeldInput& input) noexcept {
    const auto dir = input.dir;
    const auto ts = input.ts;
    switch (input.kind) {
    case Kind::Data: return feed(dir, input.bytes, ts);
    case Kind::Payload: {
        const bool on_the_wire = std::holds_alternative<decoder::Certificate>(*input.payload) ||
                                 std::holds_alternative<decoder::TlsAlert>(*input.payload);
        if (!(on_the_wire && decrypts_)) connection_.on_payload(dir, std::move(*input.payload), ts);
        return;
    }
    case Kind::Fin:
        connection_.on_fin(dir, ts);
        if (pcap_) pcap_->fin(dir, ts);
        if (capture_) capture_->fin(dir, ts);
        return;
    case Kind::Rst:
        connection_.on_rst(dir, ts);
        if (pcap_) pcap_->rst(dir, ts);
        if (capture_) capture_->rst(dir, ts);
        return;
    }
}

std::vector<HeldInput> LegRecorder::take_held_locked() noexcept {
    add_secrets_locked(std::exchange(secrets_, {}));
    // Whether the decoder had the keys when it met the ServerHello it is about to be given;
    // secrets logged later come too late for it.
    decrypts_ = !keys_.empty();
    return hold_.release();
}

void LegRecorder::release_locked() noexcept {
    auto held = take_held_locked();
    for (auto& input : held) apply(input);
}

void LegRecorder::handshakes_done(LegRecorder& a, LegRecorder& b) noexcept {
    std::lock_guard lock(a.gate_.mutex());  // one gate for both legs of a connection
    // Both legs' secrets first (into the capture file too), then their input in time order.
    auto held_a = a.take_held_locked(), held_b = b.take_held_locked();
    auto ia = held_a.begin(), ib = held_b.begin();
    while (ia != held_a.end() || ib != held_b.end()) {
        if (ib == held_b.end() || (ia != held_a.end() && ia->ts <= ib->ts)) a.apply(*ia++);
        else b.apply(*ib++);
    }
}

void LegRecorder::write_pcap(PcapngWriter& out, bool decrypted) {
    std::lock_guard lock(gate_.mutex());
    pcap_decrypted_ = decrypted;
    pcap_ = std::make_unique<SyntheticTcp>(out, connection_.client(), connection_.server(), EventGate::now());
}

void LegRecorder::capture(PcapngWriter& out) {
    std::lock_guard lock(gate_.mutex());
    capture_file_ = &out;
    capture_ = std::make_unique<SyntheticTcp>(out, connection_.client(), connection_.server(), EventGate::now());
}

}  // namespace proxy
