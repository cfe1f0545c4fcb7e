// One relay leg (client <-> siptap, or siptap <-> upstream) as the decoder sees it: the raw
// wire bytes of both directions, the decrypted SIP, facts only OpenSSL knows and the close.
// Thread-safe: every call is posted to the EventGate's decoder thread with its timestamp
// (bytes are copied), so the caller does not wait for decoding; never throws.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "decoder/connection.hpp"
#include "proxy/event_gate.hpp"
#include "proxy/synthetic_tcp.hpp"

namespace proxy {

class LegRecorder {
public:
    LegRecorder(EventGate& gate, decoder::Endpoint client, decoder::Endpoint server,
                decoder::Transport base);
    ~LegRecorder();

    void wire(decoder::Dir dir, std::span<const std::byte> data) noexcept;
    void plaintext(decoder::Dir dir, std::span<const std::byte> data) noexcept;
    void payload(decoder::Dir dir, decoder::Payload payload) noexcept;
    void fin(decoder::Dir dir) noexcept;
    void rst(decoder::Dir dir) noexcept;
    void finish(decoder::CloseHow how) noexcept;
    // From now on also write this leg to `out` as a synthetic TCP connection carrying the
    // decrypted payload (`decrypted`) or, with --plain, the wire bytes.
    void write_pcap(PcapngWriter& out, bool decrypted);

    std::uint64_t id() const { return id_; }

private:
    // Lives on the decoder thread until the last posted work that uses it has run.
    struct State;
    template <class Work>
    void post(Work work, std::size_t bytes = 0) noexcept;

    EventGate& gate_;
    std::uint64_t id_;
    std::shared_ptr<State> state_;
};

}  // namespace proxy
