// One connection (a TCP connection, or a UDP 5-tuple flow) as the decoder sees it.
// Sources (pcap reassembler, live capture, relay) feed it ordered bytes per direction plus
// the way each side closed; it recognises TLS or SIP by content and emits SPEC.md events.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "decoder/model/event_bus.hpp"
#include "decoder/model/events.hpp"

namespace decoder {

class KeyLog;
class SipStream;
class TlsSession;

class Connection {
public:
    // base is Udp or Tcp; the connection turns to Tls when it sees a handshake. conn_open is
    // emitted (with ts) once the content is recognised as SIP or TLS; flows that carry
    // something else are ignored (see ignored()) so a busy capture is not flooded with them.
    // With `keys` (outliving the connection) TLS records are decrypted where the key log can,
    // and the decrypted application data is decoded as on_plaintext() does.
    Connection(EventBus& bus, std::uint64_t id, Endpoint client, Endpoint server, Transport base,
               Micros ts, bool handshake_seen, const KeyLog* keys = nullptr);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // TCP: the next in-order bytes of one direction. UDP: one whole datagram.
    void on_data(Dir dir, std::span<const std::byte> data, Micros ts) noexcept;
    // Decrypted application data of a TLS connection (the relay's plaintext, or a capture
    // decrypted with a key log): framed and decoded as SIP, events carry transport tls.
    void on_plaintext(Dir dir, std::span<const std::byte> data, Micros ts) noexcept;
    // A fact learnt outside the byte stream, e.g. from the relay's own OpenSSL session: a
    // TLS 1.3 Certificate (encrypted on the wire) or the name of an encrypted alert.
    void on_payload(Dir dir, Payload payload, Micros ts) noexcept;
    // Bytes that never reached us (lost or not captured): that direction stops decoding.
    void on_gap(Dir dir, std::uint64_t bytes, Micros ts) noexcept;
    void on_fin(Dir dir, Micros ts) noexcept;
    void on_rst(Dir dir, Micros ts) noexcept;
    // No more input (capture end, idle timeout, relay stopped): emits conn_close if not yet.
    void finish(CloseHow how, Micros ts) noexcept;

    // A relay's legs: every one is reported (conn_open, a notice when the content is neither
    // SIP nor TLS, conn_close), also one that carried nothing or garbage before it closed.
    void report_always() noexcept;

    bool closed() const { return closed_; }
    // The content turned out to be neither SIP nor TLS: no events were or will be emitted.
    bool ignored() const;
    std::uint64_t id() const { return id_; }
    const Endpoint& client() const { return client_; }
    const Endpoint& server() const { return server_; }

private:
    struct Impl;

    void emit(Dir dir, Micros ts, Payload&& payload);  // moved from once, into the event
    Event& prepare(Dir dir, Micros ts);  // the reused event, addressed for dir, payload not set
    void send(Event& e);                 // delivers the prepared event
    void ensure_open();
    void deliver(Dir dir, Micros ts, std::vector<Payload>& payloads);
    void sniff(Dir dir, std::span<const std::byte> data, Micros ts);
    void decode(Dir dir, std::span<const std::byte> data, Micros ts);
    void on_datagram(Dir dir, std::span<const std::byte> data, Micros ts);
    void close(Micros ts, CloseHow how_if_nobody_closed);
    void report_failure(Dir dir, Micros ts, const char* what) noexcept;

    EventBus& bus_;
    std::uint64_t id_;
    Endpoint client_, server_;
    bool closed_ = false;
    std::unique_ptr<Impl> impl_;
};

}  // namespace decoder
