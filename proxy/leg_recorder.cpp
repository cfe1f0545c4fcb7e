#include "proxy/leg_recorder.hpp"

#include <mutex>

namespace proxy {

using decoder::Dir;

LegRecorder::LegRecorder(EventGate& gate, decoder::Endpoint client, decoder::Endpoint server,
                         decoder::Transport base)
    : gate_(gate),
      connection_(gate.bus(), gate.next_conn_id(), std::move(client), std::move(server), base,
                  EventGate::now(), true) {}

LegRecorder::~LegRecorder() { finish(decoder::CloseHow::Timeout); }

void LegRecorder::wire(Dir dir, std::span<const std::byte> data) noexcept {
    std::lock_guard lock(gate_.mutex());
    connection_.on_data(dir, data, EventGate::now());
}

void LegRecorder::plaintext(Dir dir, std::span<const std::byte> data) noexcept {
    std::lock_guard lock(gate_.mutex());
    connection_.on_plaintext(dir, data, EventGate::now());
}

void LegRecorder::payload(Dir dir, decoder::Payload payload) noexcept {
    std::lock_guard lock(gate_.mutex());
    connection_.on_payload(dir, std::move(payload), EventGate::now());
}

void LegRecorder::fin(Dir dir) noexcept {
    std::lock_guard lock(gate_.mutex());
    connection_.on_fin(dir, EventGate::now());
}

void LegRecorder::rst(Dir dir) noexcept {
    std::lock_guard lock(gate_.mutex());
    connection_.on_rst(dir, EventGate::now());
}

void LegRecorder::finish(decoder::CloseHow how) noexcept {
    std::lock_guard lock(gate_.mutex());
    connection_.finish(how, EventGate::now());
}

}  // namespace proxy
