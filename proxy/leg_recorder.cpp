#include "proxy/leg_recorder.hpp"

#include <mutex>

namespace proxy {

using decoder::Dir;

LegRecorder::LegRecorder(EventGate& gate, decoder::Endpoint client, decoder::Endpoint server,
                         decoder::Transport base)
    : gate_(gate),
      connection_(gate.bus(), gate.next_conn_id(), std::move(client), std::move(server), base,
                  EventGate::now(), true) {
    connection_.report_always();  // every relayed connection is shown, also one that died silently
}

LegRecorder::~LegRecorder() { finish(decoder::CloseHow::Timeout); }

void LegRecorder::wire(Dir dir, std::span<const std::byte> data) noexcept {
    std::lock_guard lock(gate_.mutex());
    const auto now = EventGate::now();
    connection_.on_data(dir, data, now);
    if (pcap_ && !pcap_decrypted_) pcap_->data(dir, data, now);
}

void LegRecorder::plaintext(Dir dir, std::span<const std::byte> data) noexcept {
    std::lock_guard lock(gate_.mutex());
    const auto now = EventGate::now();
    connection_.on_plaintext(dir, data, now);
    if (pcap_ && pcap_decrypted_) pcap_->data(dir, data, now);
}

void LegRecorder::payload(Dir dir, decoder::Payload payload) noexcept {
    std::lock_guard lock(gate_.mutex());
    connection_.on_payload(dir, std::move(payload), EventGate::now());
}

void LegRecorder::fin(Dir dir) noexcept {
    std::lock_guard lock(gate_.mutex());
    const auto now = EventGate::now();
    connection_.on_fin(dir, now);
    if (pcap_) pcap_->fin(dir, now);
}

void LegRecorder::rst(Dir dir) noexcept {
    std::lock_guard lock(gate_.mutex());
    const auto now = EventGate::now();
    connection_.on_rst(dir, now);
    if (pcap_) pcap_->rst(dir, now);
}

void LegRecorder::finish(decoder::CloseHow how) noexcept {
    std::lock_guard lock(gate_.mutex());
    connection_.finish(how, EventGate::now());
}

void LegRecorder::write_pcap(PcapngWriter& out, bool decrypted) {
    std::lock_guard lock(gate_.mutex());
    pcap_decrypted_ = decrypted;
    pcap_ = std::make_unique<SyntheticTcp>(out, connection_.client(), connection_.server(), EventGate::now());
}

}  // namespace proxy
