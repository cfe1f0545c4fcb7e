#include "proxy/leg_recorder.hpp"

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "decoder/tls/tls_keylog.hpp"
#include "proxy/handshake_hold.hpp"
#include "proxy/pcapng_writer.hpp"

namespace proxy {

using decoder::Dir;
using decoder::Micros;
using Kind = HeldInput::Kind;

// Everything here is touched on the decoder thread only.
struct LegRecorder::State {
    template <class... Args>
    State(bool tls, decoder::EventBus& bus, Args&&... args)
        : connection(bus, std::forward<Args>(args)..., &keys), hold(tls) {}

    // Held while the handshake runs (see handshake_hold.hpp), else decoded and written now.
    void take(HeldInput input) noexcept;
    void apply(HeldInput& input) noexcept;
    void apply_one(HeldInput& input) noexcept;
    void feed(Dir dir, std::span<const std::byte> data, Micros ts) noexcept;
    void add_secrets(const std::string& lines) noexcept;
    std::vector<HeldInput> take_held() noexcept;
    void release() noexcept;
    void check_evidence(Dir dir, Micros ts) noexcept;

    struct Watched {
        const EvidenceFile* file;
        bool reported;
    };

    decoder::KeyLog keys;  // declared before connection, which reads it
    std::string secrets;   // key log lines that arrived while the handshake was held
    decoder::Connection connection;
    HandshakeHold hold;
    std::unique_ptr<SyntheticTcp> pcap, capture;
    PcapngWriter* capture_file = nullptr;
    bool pcap_decrypted = false;
    bool decrypts = false;  // the decoder reads this TLS leg's records itself
    // `decrypts` as the I/O thread may read it: once set, plaintext() need not post what the
    // decoder would ignore (set only after `decrypts`, which never goes back to false).
    std::atomic<bool> ignores_plaintext{false};
    std::vector<Watched> evidence;
};

// Checked after every input: a failure on another connection's write also means this leg's
// data is missing from the file from now on (nothing more is written to it).
void LegRecorder::State::check_evidence(Dir dir, Micros ts) noexcept {
    for (auto& w : evidence) {
        if (w.reported || !w.file->failed()) continue;
        w.reported = true;
        try {
            connection.on_payload(dir, decoder::Notice{"relay-error", w.file->failure() +
                                                          ": it lacks this connection's data from here on; "
                                                          "siptap will exit with status 2"}, ts);
        } catch (...) {  // out of memory for the text: the exit status still tells
        }
    }
}

void LegRecorder::State::take(HeldInput input) noexcept {
    if (hold.active()) {
        try {
            if (!hold.add(std::move(input))) release();
            return;
        } catch (...) {
            release();  // out of memory: stop holding; this input is lost, the rest is decoded as it comes
            return;
        }
    }
    apply(input);
}

void LegRecorder::State::add_secrets(const std::string& lines) noexcept {
    if (lines.empty()) return;
    try {
        std::vector<std::string> problems;  // OpenSSL's own lines: nothing to report
        keys.add_text(lines, "the relay's TLS secrets", problems);
    } catch (...) {
    }
    if (capture_file) capture_file->write_tls_secrets(lines);
    check_evidence(Dir::ClientToServer, EventGate::now());
}

void LegRecorder::State::feed(Dir dir, std::span<const std::byte> data, Micros ts) noexcept {
    connection.on_data(dir, data, ts);
    if (pcap && !pcap_decrypted) pcap->data(dir, data, ts);
    if (capture) capture->data(dir, data, ts);
}

void LegRecorder::State::apply(HeldInput& input) noexcept {
    apply_one(input);
    check_evidence(input.dir, input.ts);
}

void LegRecorder::State::apply_one(HeldInput& input) noexcept {
    const auto dir = input.dir;
    const auto ts = input.ts;
    switch (input.kind) {
    case Kind::Data: return feed(dir, input.bytes, ts);
    case Kind::Payload: {
        const bool on_the_wire = std::holds_alternative<decoder::Certificate>(*input.payload) ||
                                 std::holds_alternative<decoder::TlsAlert>(*input.payload);
        if (!(on_the_wire && decrypts)) connection.on_payload(dir, std::move(*input.payload), ts);
        return;
    }
    case Kind::Fin:
        connection.on_fin(dir, ts);
        if (pcap) pcap->fin(dir, ts);
        if (capture) capture->fin(dir, ts);
        return;
    case Kind::Rst:
        connection.on_rst(dir, ts);
        if (pcap) pcap->rst(dir, ts);
        if (capture) capture->rst(dir, ts);
        return;
    }
}

std::vector<HeldInput> LegRecorder::State::take_held() noexcept {
    add_secrets(std::exchange(secrets, {}));
    // Whether the decoder had the keys when it met the ServerHello it is about to be given;
    // secrets logged later come too late for it.
    decrypts = !keys.empty();
    if (decrypts) ignores_plaintext.store(true, std::memory_order_release);
    return hold.release();
}

void LegRecorder::State::release() noexcept {
    auto held = take_held();
    for (auto& input : held) apply(input);
}

LegRecorder::LegRecorder(EventGate& gate, decoder::Endpoint client, decoder::Endpoint server,
                         decoder::Transport base, bool tls)
    : gate_(gate), id_(gate.next_conn_id()),
      state_(std::make_shared<State>(tls, gate.bus(), id_, std::move(client), std::move(server), base,
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
    try {
        post([input = HeldInput{Kind::Data, dir, EventGate::now(), {data.begin(), data.end()}, std::nullopt}](
                 State& s) mutable { s.take(std::move(input)); },
             data.size());
    } catch (...) {  // the copy: out of memory
    }
}

void LegRecorder::plaintext(Dir dir, std::span<const std::byte> data) noexcept {
    // Work posted from here on runs after `decrypts` was set: it would only feed the pcap.
    if (!pcap_plaintext_ && state_->ignores_plaintext.load(std::memory_order_acquire)) return;
    try {
        post([dir, now = EventGate::now(), bytes = std::vector<std::byte>(data.begin(), data.end())](State& s) {
            if (!s.decrypts) s.connection.on_plaintext(dir, bytes, now);
            if (s.pcap && s.pcap_decrypted) s.pcap->data(dir, bytes, now);
        }, data.size());
    } catch (...) {
    }
}

void LegRecorder::payload(Dir dir, decoder::Payload payload) noexcept {
    post([input = HeldInput{Kind::Payload, dir, EventGate::now(), {}, std::move(payload)}](State& s) mutable {
        s.take(std::move(input));
    });
}

void LegRecorder::fin(Dir dir) noexcept {
    post([input = HeldInput{Kind::Fin, dir, EventGate::now(), {}, std::nullopt}](State& s) mutable {
        s.take(std::move(input));
    });
}

void LegRecorder::rst(Dir dir) noexcept {
    post([input = HeldInput{Kind::Rst, dir, EventGate::now(), {}, std::nullopt}](State& s) mutable {
        s.take(std::move(input));
    });
}

void LegRecorder::finish(decoder::CloseHow how) noexcept {
    post([how, now = EventGate::now()](State& s) {
        if (s.hold.active()) s.release();
        s.check_evidence(decoder::Dir::ClientToServer, now);
        s.connection.finish(how, now);
    });
}

void LegRecorder::secret(const char* line) noexcept {
    try {
        post([text = std::string(line) + '\n'](State& s) {
            if (s.hold.active()) s.secrets += text;
            else s.add_secrets(text);
        });
    } catch (...) {
    }
}

void LegRecorder::handshakes_done(LegRecorder& a, LegRecorder& b) noexcept {
    // Both legs' secrets first (into the capture file too), then their input in time order.
    a.post([other = b.state_](State& sa) {
        State& sb = *other;
        auto held_a = sa.take_held(), held_b = sb.take_held();
        auto ia = held_a.begin(), ib = held_b.begin();
        while (ia != held_a.end() || ib != held_b.end()) {
            if (ib == held_b.end() || (ia != held_a.end() && ia->ts <= ib->ts)) sa.apply(*ia++);
            else sb.apply(*ib++);
        }
    });
}

void LegRecorder::write_pcap(PcapngWriter& out, bool decrypted) {
    pcap_plaintext_ = pcap_plaintext_ || decrypted;
    post([&out, decrypted, now = EventGate::now()](State& s) {
        s.pcap_decrypted = decrypted;
        s.pcap = std::make_unique<SyntheticTcp>(out, s.connection.client(), s.connection.server(), now);
    });
    watch(out.file());
}

void LegRecorder::capture(PcapngWriter& out) {
    post([&out, now = EventGate::now()](State& s) {
        s.capture_file = &out;
        s.capture = std::make_unique<SyntheticTcp>(out, s.connection.client(), s.connection.server(), now);
    });
    watch(out.file());
}

void LegRecorder::watch(const EvidenceFile& file) {
    post([&file](State& s) { s.evidence.push_back({&file, false}); });
}

}  // namespace proxy
