// One relay leg (client <-> siptap, or siptap <-> upstream) as the decoder sees it: the raw
// wire bytes of both directions, the decrypted SIP, facts only OpenSSL knows and the close.
// Thread-safe through the EventGate; never throws.
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

    std::uint64_t id() const { return connection_.id(); }
    const decoder::Endpoint& client() const { return connection_.client(); }
    const decoder::Endpoint& server() const { return connection_.server(); }

private:
    EventGate& gate_;
    decoder::Connection connection_;
    std::unique_ptr<SyntheticTcp> pcap_;
    bool pcap_decrypted_ = false;
};

}  // namespace proxy
