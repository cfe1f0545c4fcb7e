// TlsSession's state, shared by its two halves: tls_session.cpp (records, alerts, keys) and
// tls_session_handshake.cpp (handshake messages). Private to the decoder: include only there.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "decoder/tls/tls_decrypt.hpp"
#include "decoder/tls/tls_handshake.hpp"
#include "decoder/tls/tls_records.hpp"
#include "decoder/tls/tls_session.hpp"

namespace decoder {

// Only tls_session*.cpp include this header; they read the record-layer names unqualified.
using namespace tls;

namespace tls_session_detail {

struct DirState {
    FrameReader<Record> records{parse_record, record_missing};
    FrameReader<HandshakeMessage> handshakes{parse_handshake, handshake_missing};
    bool stopped = false;
    bool opening_checked = false;       // client: SSLv2-compatible ClientHello or not, decided
    std::vector<std::byte> sslv2;       // client: an SSLv2-compatible ClientHello arriving in pieces
    bool sealed = false;                // its records are encrypted from here on
    bool ccs = false;                   // sent ChangeCipherSpec
    bool encrypted_handshake = false;   // sent a handshake record after it (the Finished)
    std::uint64_t app_records = 0;
};

inline const char* dir_text(Dir dir) {
    return dir == Dir::ClientToServer ? "client->server" : "server->client";
}

inline TlsMessage encrypted_message(const char* type, std::string version, std::size_t length) {
    TlsMessage m;
    m.type = type;
    m.version = std::move(version);
    m.length = length;
    m.encrypted = true;
    return m;
}

}  // namespace tls_session_detail

using namespace tls_session_detail;

struct TlsSession::Impl {
    explicit Impl(const KeyLog* keys) {
        if (keys) decrypt = std::make_unique<TlsDecryptor>(*keys);
    }

    std::array<DirState, 2> dirs;
    std::unique_ptr<TlsDecryptor> decrypt;  // null without a key log
    PlaintextHandler plaintext;
    bool decrypt_noted = false;  // said why this session is not decrypted
    std::uint16_t negotiated = 0;  // from the ServerHello; 0 until then
    bool tls13 = false;
    bool server_flight = false;  // TLS 1.3: the server sent a protected record
    bool client_flight = false;  // TLS 1.3: then the client did
    bool renegotiating = false;  // TLS <= 1.2: a HelloRequest or ClientHello after the handshake

    // The decryptor, while the handshake it follows is the first one (see renegotiating).
    TlsDecryptor* keys() const { return renegotiating ? nullptr : decrypt.get(); }
    bool first_handshake_done() const {
        return dirs[0].ccs && dirs[0].encrypted_handshake && dirs[1].ccs && dirs[1].encrypted_handshake;
    }

    DirState& at(Dir dir) { return dirs[dir == Dir::ClientToServer ? 0 : 1]; }

    std::string version_text(std::uint16_t record_version) const {
        return version_name(negotiated ? negotiated : record_version);
    }

    void decrypt_notice(const std::optional<std::string>& problem, std::vector<Payload>& out) {
        if (!problem || decrypt_noted) return;
        decrypt_noted = true;
        out.emplace_back(Notice{"tls-decrypt", "TLS: " + *problem});
    }

    void fail(Dir dir, const std::string& problem, std::vector<Payload>& out) {
        out.emplace_back(Notice{"tls-error", std::string("TLS ") + dir_text(dir) + ": " + problem +
                                                 "; this direction is no longer decoded"});
        at(dir).stopped = true;
    }

    void feed(Dir dir, Bytes data, std::vector<Payload>& out);
    bool sslv2_opening(Bytes& data, std::vector<Payload>& out);
    void on_record(Dir dir, const Record& record, std::vector<Payload>& out);
    void on_alert(Dir dir, const Record& record, std::vector<Payload>& out);
    void on_handshake_record(Dir dir, const Record& record, std::vector<Payload>& out);
    void on_handshake_bytes(Dir dir, Bytes fragment, std::uint16_t version, std::vector<Payload>& out);
    void named_alerts(Dir dir, Bytes fragment, std::vector<Payload>& out);
    void on_protected(Dir dir, const Record& record, tls::RecordCipher& cipher, std::vector<Payload>& out);
    void after_decrypted_handshake(Dir dir, const HandshakeMessage& msg, std::vector<Payload>& out);
    void on_renegotiated_keys(Dir dir, const Record& record, Bytes plain, std::vector<Payload>& out);
    void on_handshake(Dir dir, const HandshakeMessage& msg, std::uint16_t record_version,
                      std::vector<Payload>& out);
    void on_server_hello(Dir dir, Bytes body, std::vector<Payload>& out);
    void on_certificate(Dir dir, Bytes body, std::uint16_t version, std::vector<Payload>& out);
    template <class T>
    bool accept(Dir dir, ParseResult<T>& r, std::vector<Payload>& out) {
        if (r.status == ParseStatus::Complete) return true;
        fail(dir, r.status == ParseStatus::Error ? r.error : "handshake message incomplete", out);
        return false;
    }
};

}  // namespace decoder
