#include "proxy/leg_recorder.hpp"

#include <vector>

namespace proxy {

using decoder::Dir;
using decoder::Micros;

struct LegRecorder::State {
    template <class... Args>
    explicit State(Args&&... args) : connection(std::forward<Args>(args)...) {}

    decoder::Connection connection;
    std::unique_ptr<SyntheticTcp> pcap;
    bool pcap_decrypted = false;
};

namespace {

std::vector<std::byte> copy(std::span<const std::byte> data) { return {data.begin(), data.end()}; }

}  // namespace

LegRecorder::LegRecorder(EventGate& gate, decoder::Endpoint client, decoder::Endpoint server,
                         decoder::Transport base)
    : gate_(gate), id_(gate.next_conn_id()),
      state_(std::make_shared<State>(gate.bus(), id_, std::move(client), std::move(server), base,
                                     EventGate::now(), true)) {
    // Every relayed connection is shown, also one that died silently. Nothing is posted to
    // the event thread yet, so setting this here does not race with it.
    state_->connection.report_always();
}

LegRecorder::~LegRecorder() { finish(decoder::CloseHow::Timeout); }

template <class Work>
void LegRecorder::post(Work work, std::size_t bytes) noexcept {
    try {
        gate_.post([state = state_, work = std::move(work)]() mutable { work(*state); }, bytes);
    } catch (...) {  // out of memory or threads: this leg's events are lost, the relay goes on
    }
}

void LegRecorder::wire(Dir dir, std::span<const std::byte> data) noexcept {
    post([dir, now = EventGate::now(), bytes = copy(data)](State& s) {
        s.connection.on_data(dir, bytes, now);
        if (s.pcap && !s.pcap_decrypted) s.pcap->data(dir, bytes, now);
    }, data.size());
}

void LegRecorder::plaintext(Dir dir, std::span<const std::byte> data) noexcept {
    post([dir, now = EventGate::now(), bytes = copy(data)](State& s) {
        s.connection.on_plaintext(dir, bytes, now);
        if (s.pcap && s.pcap_decrypted) s.pcap->data(dir, bytes, now);
    }, data.size());
}

void LegRecorder::payload(Dir dir, decoder::Payload payload) noexcept {
    post([dir, now = EventGate::now(), payload = std::move(payload)](State& s) mutable {
        s.connection.on_payload(dir, std::move(payload), now);
    });
}

void LegRecorder::fin(Dir dir) noexcept {
    post([dir, now = EventGate::now()](State& s) {
        s.connection.on_fin(dir, now);
        if (s.pcap) s.pcap->fin(dir, now);
    });
}

void LegRecorder::rst(Dir dir) noexcept {
    post([dir, now = EventGate::now()](State& s) {
        s.connection.on_rst(dir, now);
        if (s.pcap) s.pcap->rst(dir, now);
    });
}

void LegRecorder::finish(decoder::CloseHow how) noexcept {
    post([how, now = EventGate::now()](State& s) { s.connection.finish(how, now); });
}

void LegRecorder::write_pcap(PcapngWriter& out, bool decrypted) {
    post([&out, decrypted, now = EventGate::now()](State& s) {
        s.pcap_decrypted = decrypted;
        s.pcap = std::make_unique<SyntheticTcp>(out, s.connection.client(), s.connection.server(), now);
    });
}

}  // namespace proxy
