// One relay leg (client <-> siptap, or siptap <-> upstream) as the decoder sees it: the raw
// wire bytes of both directions, facts only OpenSSL knows and the close. A TLS leg's decoder
// is given the leg's own TLS secrets and decrypts the wire itself, exactly as `siptap read`
// decrypts a capture of it with the key log: the live view and the replay of --capture are
// one decoding of the same bytes. Thread-safe: every call is posted to the EventGate's decoder
// thread with its timestamp (bytes are copied), so the caller does not wait for decoding;
// never throws.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "decoder/flow/connection.hpp"
#include "proxy/evidence_file.hpp"
#include "proxy/event_gate.hpp"
#include "proxy/synthetic_tcp.hpp"

namespace proxy {

class LegRecorder {
public:
    // `tls`: the relay terminates TLS on this leg; its input is held until its handshake has
    // ended (see handshake_hold.hpp).
    LegRecorder(EventGate& gate, decoder::Endpoint client, decoder::Endpoint server,
                decoder::Transport base, bool tls = false);
    ~LegRecorder();

    void wire(decoder::Dir dir, std::span<const std::byte> data) noexcept;
    // Decrypted application data: for --write-pcap, and for the decoder of a TLS leg whose
    // secrets it does not have.
    void plaintext(decoder::Dir dir, std::span<const std::byte> data) noexcept;
    // A fact from OpenSSL. Certificates and alert names are dropped once the decoder has the
    // leg's secrets: it reads them off the wire itself.
    void payload(decoder::Dir dir, decoder::Payload payload) noexcept;
    void fin(decoder::Dir dir) noexcept;
    void rst(decoder::Dir dir) noexcept;
    void finish(decoder::CloseHow how) noexcept;
    // One NSS key log line of this leg's TLS session.
    void secret(const char* line) noexcept;
    // Both legs' handshakes have ended (either way): what they held is decoded and written,
    // merged in time order.
    static void handshakes_done(LegRecorder& a, LegRecorder& b) noexcept;

    // From now on also write this leg to `out` as a synthetic TCP connection carrying the
    // decrypted payload (`decrypted`) or, with --plain, the wire bytes.
    void write_pcap(PcapngWriter& out, bool decrypted);
    // From now on also write this leg to `out` as it was on the wire (--capture), with its
    // TLS secrets in Decryption Secrets Blocks ahead of the records they decrypt.
    void capture(PcapngWriter& out);
    // From now on report on this leg (a relay-error notice, once) when writing `file` has
    // failed: it lacks this leg's data from then on. write_pcap() and capture() watch theirs.
    void watch(const EvidenceFile& file);

    std::uint64_t id() const { return id_; }

private:
    // Lives on the decoder thread until the last posted work that uses it has run.
    struct State;
    template <class Work>
    void post(Work work, std::size_t bytes = 0) noexcept;

    EventGate& gate_;
    std::uint64_t id_;
    std::shared_ptr<State> state_;
    bool pcap_plaintext_ = false;  // --write-pcap takes this leg's plaintext (on the leg's I/O thread)
};

}  // namespace proxy
