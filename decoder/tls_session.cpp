// TlsSession: per direction, records -> handshake messages -> payloads. See tls_session.hpp.
//
// What is reported without keys (never guessed):
//  - TLS <= 1.2: after a side's ChangeCipherSpec its handshake records are `encrypted_handshake`
//    (the Finished) and its alerts are encrypted.
//  - TLS 1.3: after the ServerHello both sides protect everything, and on the wire every
//    protected record has the outer type application_data, handshake or not: each such record
//    is one `application_data` message, encrypted=true. Handshake-type records still seen in
//    TLS 1.3 after the ServerHello can only be plaintext (e.g. fed by a relay that decrypts),
//    so they are decoded as such.
//  - An alert record of exactly two bytes holding a registered alert cannot be ciphertext (no
//    room for a MAC or tag), so it is decoded by name even after ChangeCipherSpec.
//  - application_records(dir) counts the `application_data` messages of that direction, so in
//    TLS 1.3 it includes the records that carry the encrypted handshake flights.
#include "decoder/tls_session.hpp"

#include <array>
#include <string>
#include <utility>

#include "decoder/tls_handshake.hpp"
#include "decoder/tls_names.hpp"
#include "decoder/tls_records.hpp"
#include "decoder/x509_summary.hpp"

namespace decoder {

using namespace tls;

bool looks_like_tls(std::span<const std::byte> first_bytes) noexcept {
    if (first_bytes.size() < 3) return false;
    return std::to_integer<unsigned>(first_bytes[0]) == handshake &&
           std::to_integer<unsigned>(first_bytes[1]) == 3 &&
           std::to_integer<unsigned>(first_bytes[2]) <= 4;
}

namespace {

struct DirState {
    FrameReader<Record> records{parse_record, record_missing};
    FrameReader<HandshakeMessage> handshakes{parse_handshake, handshake_missing};
    bool stopped = false;
    bool sealed = false;                // its records are encrypted from here on
    bool ccs = false;                   // sent ChangeCipherSpec
    bool encrypted_handshake = false;   // sent a handshake record after it (the Finished)
    std::uint64_t app_records = 0;
};

const char* dir_text(Dir dir) {
    return dir == Dir::ClientToServer ? "client->server" : "server->client";
}

TlsMessage encrypted_message(const char* type, std::string version, std::size_t length) {
    TlsMessage m;
    m.type = type;
    m.version = std::move(version);
    m.length = length;
    m.encrypted = true;
    return m;
}

}  // namespace

struct TlsSession::Impl {
    std::array<DirState, 2> dirs;
    std::uint16_t negotiated = 0;  // from the ServerHello; 0 until then
    bool tls13 = false;
    bool server_flight = false;  // TLS 1.3: the server sent a protected record
    bool client_flight = false;  // TLS 1.3: then the client did

    DirState& at(Dir dir) { return dirs[dir == Dir::ClientToServer ? 0 : 1]; }

    std::string version_text(std::uint16_t record_version) const {
        return version_name(negotiated ? negotiated : record_version);
    }

    void fail(Dir dir, const std::string& problem, std::vector<Payload>& out) {
        out.emplace_back(Notice{"tls-error", std::string("TLS ") + dir_text(dir) + ": " + problem +
                                                 "; this direction is no longer decoded"});
        at(dir).stopped = true;
    }

    void feed(Dir dir, Bytes data, std::vector<Payload>& out);
    void on_record(Dir dir, const Record& record, std::vector<Payload>& out);
    void on_alert(Dir dir, const Record& record, std::vector<Payload>& out);
    void on_handshake_record(Dir dir, const Record& record, std::vector<Payload>& out);
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

void TlsSession::Impl::feed(Dir dir, Bytes data, std::vector<Payload>& out) {
    DirState& st = at(dir);
    while (!st.stopped && !data.empty()) {
        auto r = st.records.next(data);
        if (r.status == ParseStatus::Incomplete) return;
        if (r.status == ParseStatus::Error) return fail(dir, r.error, out);
        on_record(dir, r.value, out);
    }
}

void TlsSession::Impl::on_record(Dir dir, const Record& record, std::vector<Payload>& out) {
    DirState& st = at(dir);
    const char* type = content_type_name(record.type);
    if (record.type != handshake && st.handshakes.pending())
        return fail(dir, std::string("handshake message interrupted by a ") + type + " record", out);
    const std::size_t length = record.fragment.size();
    switch (record.type) {
    case change_cipher_spec: {
        if (length != 1 || std::to_integer<unsigned>(record.fragment[0]) != 1)
            return fail(dir, "malformed change_cipher_spec record", out);
        TlsMessage m;
        m.type = "change_cipher_spec";
        m.version = version_text(record.version);
        out.emplace_back(std::move(m));
        st.ccs = st.sealed = true;
        return;
    }
    case alert: return on_alert(dir, record, out);
    case handshake: return on_handshake_record(dir, record, out);
    case application_data:
        out.emplace_back(encrypted_message("application_data", version_text(record.version), length));
        ++st.app_records;
        if (tls13 && dir == Dir::ServerToClient) server_flight = true;
        if (tls13 && dir == Dir::ClientToServer && server_flight) client_flight = true;
        return;
    default: {  // heartbeat
        TlsMessage m = encrypted_message("heartbeat", version_text(record.version), length);
        m.encrypted = st.sealed;
        out.emplace_back(std::move(m));
        return;
    }
    }
}

void TlsSession::Impl::on_alert(Dir dir, const Record& record, std::vector<Payload>& out) {
    const Bytes f = record.fragment;
    if (f.empty()) return fail(dir, "empty alert record", out);
    auto byte = [&](std::size_t i) { return std::to_integer<std::uint8_t>(f[i]); };
    const bool plain_pair = f.size() == 2 && is_known_alert(byte(0), byte(1));
    if (at(dir).sealed && !plain_pair) {
        out.emplace_back(TlsAlert{"unknown", "encrypted", true});
        return;
    }
    if (f.size() % 2) return fail(dir, "malformed alert record of " + std::to_string(f.size()) +
                                           " bytes", out);
    for (std::size_t i = 0; i < f.size(); i += 2)
        out.emplace_back(TlsAlert{alert_level_name(byte(i)), alert_description_name(byte(i + 1)), false});
}

void TlsSession::Impl::on_handshake_record(Dir dir, const Record& record,
                                           std::vector<Payload>& out) {
    DirState& st = at(dir);
    if (st.sealed && !tls13) {
        out.emplace_back(encrypted_message("encrypted_handshake", version_text(record.version),
                                           record.fragment.size()));
        st.encrypted_handshake = st.ccs;
        return;
    }
    if (record.fragment.empty()) return fail(dir, "empty handshake record", out);
    Bytes fragment = record.fragment;
    while (!st.stopped && !fragment.empty()) {
        auto r = st.handshakes.next(fragment);
        if (r.status == ParseStatus::Incomplete) return;
        if (r.status == ParseStatus::Error) return fail(dir, r.error, out);
        on_handshake(dir, r.value, record.version, out);
    }
}

void TlsSession::Impl::on_handshake(Dir dir, const HandshakeMessage& msg,
                                    std::uint16_t record_version, std::vector<Payload>& out) {
    const char* name = handshake_type_name(msg.type);
    if (!name) return fail(dir, "unknown handshake message type " + std::to_string(msg.type), out);
    const std::uint16_t version = negotiated ? negotiated : record_version;
    switch (msg.type) {
    case 1: {  // client_hello
        auto r = decode_client_hello(msg.body);
        if (accept(dir, r, out)) out.emplace_back(std::move(r.value));
        return;
    }
    case 2: return on_server_hello(dir, msg.body, out);
    case 11: return on_certificate(dir, msg.body, version, out);
    case 13: {  // certificate_request
        auto r = decode_certificate_request(msg.body, version);
        if (!accept(dir, r, out)) return;
        r.value.version = version_name(version);
        out.emplace_back(std::move(r.value));
        return;
    }
    case 15: {  // certificate_verify
        auto r = decode_certificate_verify(msg.body, version);
        if (!accept(dir, r, out)) return;
        r.value.version = version_name(version);
        out.emplace_back(std::move(r.value));
        return;
    }
    default: {
        TlsMessage m;
        m.type = name;
        m.version = version_name(version);
        out.emplace_back(std::move(m));
        return;
    }
    }
}

void TlsSession::Impl::on_server_hello(Dir dir, Bytes body, std::vector<Payload>& out) {
    auto r = decode_server_hello(body);
    if (!accept(dir, r, out)) return;
    if (!r.value.hello_retry) {
        negotiated = r.value.version;
        tls13 = version_rank(negotiated) == 0x0304;
        // TLS 1.3: everything after the ServerHello is protected, from both sides.
        if (tls13) dirs[0].sealed = dirs[1].sealed = true;
    }
    out.emplace_back(std::move(r.value.message));
}

void TlsSession::Impl::on_certificate(Dir dir, Bytes body, std::uint16_t version,
                                      std::vector<Payload>& out) {
    auto r = decode_certificate_list(body, version);
    if (!accept(dir, r, out)) return;
    TlsMessage m;
    m.type = "certificate";
    m.version = version_name(version);
    m.certificate_count = static_cast<int>(r.value.size());
    out.emplace_back(std::move(m));
    const Side side = sender_side(dir);
    for (std::size_t i = 0; i < r.value.size(); ++i) {
        std::string error;
        if (auto cert = summarize_certificate(r.value[i], side, static_cast<int>(i), &error)) {
            out.emplace_back(std::move(*cert));
            continue;
        }
        const char* whose = side == Side::Client ? "client" : "server";
        out.emplace_back(Notice{"tls-error", std::string("TLS ") + dir_text(dir) + ": " + whose +
                                                 " certificate " + std::to_string(i) + ": " + error});
    }
}

TlsSession::TlsSession() : impl_(std::make_unique<Impl>()) {}
TlsSession::~TlsSession() = default;

void TlsSession::feed(Dir dir, std::span<const std::byte> data, std::vector<Payload>& out) noexcept {
    impl_->feed(dir, data, out);
}

void TlsSession::gap(Dir dir) noexcept { impl_->at(dir).stopped = true; }

bool TlsSession::handshake_complete() const noexcept {
    if (impl_->tls13) return impl_->server_flight && impl_->client_flight;
    const auto& d = impl_->dirs;
    return d[0].ccs && d[0].encrypted_handshake && d[1].ccs && d[1].encrypted_handshake;
}

std::uint64_t TlsSession::application_records(Dir dir) const noexcept {
    return impl_->at(dir).app_records;
}

}  // namespace decoder
