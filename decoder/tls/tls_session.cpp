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
//  - TLS <= 1.2 renegotiation: a side's second ChangeCipherSpec is sent under its current keys,
//    so it is reported as an encrypted change_cipher_spec (never as malformed), like the
//    encrypted handshake records around it.
//  - An alert record of exactly two bytes holding a registered alert cannot be ciphertext (no
//    room for a MAC or tag), so it is decoded by name even after ChangeCipherSpec.
//  - application_records(dir) counts the `application_data` messages of that direction, so in
//    TLS 1.3 it includes the records that carry the encrypted handshake flights.
//
// With a key log (tls_decrypt.hpp) a direction whose keys are known has its protected records
// opened first; what they hold is then decoded as plaintext (encrypted=false): handshake
// messages, alerts by name, application data to the plaintext handler. A record that fails
// to authenticate is reported once and that direction goes back to being reported as above.
// A renegotiation's handshake is decoded but not followed for keys: at its ChangeCipherSpec
// that direction says so once and is reported as without keys from there on.
#include "decoder/tls/tls_session.hpp"

#include <string>
#include <utility>

#include "decoder/tls/tls_decrypt_record.hpp"
#include "decoder/tls/tls_names.hpp"
#include "decoder/tls/tls_session_impl.hpp"
#include "decoder/tls/tls_sslv2.hpp"

namespace decoder {

bool looks_like_tls(std::span<const std::byte> first_bytes) noexcept {
    if (first_bytes.size() < 3) return false;
    if (starts_like_sslv2_hello(first_bytes)) return true;
    return std::to_integer<unsigned>(first_bytes[0]) == handshake &&
           std::to_integer<unsigned>(first_bytes[1]) == 3 &&
           std::to_integer<unsigned>(first_bytes[2]) <= 4;
}

// DirState and TlsSession::Impl: tls_session_impl.hpp.

void TlsSession::Impl::feed(Dir dir, Bytes data, std::vector<Payload>& out) {
    DirState& st = at(dir);
    if (dir == Dir::ClientToServer && !st.opening_checked && !st.stopped && !data.empty() &&
        !sslv2_opening(data, out))
        return;
    while (!st.stopped && !data.empty()) {
        auto r = st.records.next(data);
        if (r.status == ParseStatus::Incomplete) return;
        if (r.status == ParseStatus::Error) return fail(dir, r.error, out);
        on_record(dir, r.value, out);
    }
}

// The client's first bytes: an SSLv2-compatible ClientHello (high bit set) is decoded here, the
// rest goes on to the record layer. False while it is incomplete, or malformed.
bool TlsSession::Impl::sslv2_opening(Bytes& data, std::vector<Payload>& out) {
    DirState& st = dirs[0];
    if (st.sslv2.empty() && !(std::to_integer<unsigned>(data[0]) & 0x80)) {
        st.opening_checked = true;
        return true;
    }
    for (std::size_t need; !data.empty() && st.sslv2.size() < (need = sslv2_record_size(st.sslv2));) {
        const std::size_t n = std::min(need - st.sslv2.size(), data.size());
        st.sslv2.insert(st.sslv2.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
        data = data.subspan(n);
    }
    auto r = parse_sslv2_client_hello(st.sslv2);
    if (r.status == ParseStatus::Incomplete) return false;
    st.opening_checked = true;
    if (r.status == ParseStatus::Error) {
        fail(Dir::ClientToServer, r.error, out);
        return false;
    }
    if (decrypt) decrypt->on_sslv2_client_hello(r.value.random, r.value.hello_bytes);
    out.emplace_back(std::move(r.value.message));
    std::vector<std::byte>().swap(st.sslv2);
    return true;
}

void TlsSession::Impl::on_record(Dir dir, const Record& record, std::vector<Payload>& out) {
    DirState& st = at(dir);
    // TLS 1.3 protects records under the outer type application_data: an alert record is in
    // clear (a client refusing the server's certificate before it uses its handshake keys).
    // A renegotiation's ChangeCipherSpec is protected by the keys in force (TLS <= 1.2).
    const bool clear = (record.type == change_cipher_spec && (tls13 || !st.sealed)) || (tls13 && record.type == alert);
    if (decrypt && !clear)
        if (auto* cipher = decrypt->cipher(dir)) return on_protected(dir, record, *cipher, out);
    const char* type = content_type_name(record.type);
    if (record.type != handshake && st.handshakes.pending())
        return fail(dir, std::string("handshake message interrupted by a ") + type + " record", out);
    const std::size_t length = record.fragment.size();
    switch (record.type) {
    case change_cipher_spec: {
        if (st.sealed && !tls13 && length != 1) {  // a renegotiation's, under the current keys
            out.emplace_back(encrypted_message("change_cipher_spec", version_text(record.version), length));
            return;
        }
        if (length != 1 || std::to_integer<unsigned>(record.fragment[0]) != 1)
            return fail(dir, "malformed change_cipher_spec record", out);
        TlsMessage m;
        m.type = "change_cipher_spec";
        m.version = version_text(record.version);
        out.emplace_back(std::move(m));
        st.ccs = st.sealed = true;
        if (decrypt && !tls13) decrypt_notice(decrypt->on_change_cipher_spec(dir), out);
        return;
    }
    case alert: return on_alert(dir, record, out);
    case handshake: return on_handshake_record(dir, record, out);
    case application_data:
        if (decrypt && !decrypt->usable())
            decrypt_notice("handshake not seen or not decryptable; records stay encrypted", out);
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
        out.emplace_back(TlsAlert{"unknown", "encrypted", true, f.size()});
        return;
    }
    named_alerts(dir, f, out);
}

void TlsSession::Impl::named_alerts(Dir dir, Bytes f, std::vector<Payload>& out) {
    auto byte = [&](std::size_t i) { return std::to_integer<std::uint8_t>(f[i]); };
    if (f.empty() || f.size() % 2)
        return fail(dir, "malformed alert record of " + std::to_string(f.size()) + " bytes", out);
    for (std::size_t i = 0; i < f.size(); i += 2)
        out.emplace_back(TlsAlert{alert_level_name(byte(i)), alert_description_name(byte(i + 1)), false, std::nullopt,
                                  AlertDescription{byte(i + 1)}});
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
    on_handshake_bytes(dir, record.fragment, record.version, out);
}

void TlsSession::Impl::on_handshake_bytes(Dir dir, Bytes fragment, std::uint16_t version,
                                          std::vector<Payload>& out) {
    DirState& st = at(dir);
    if (fragment.empty()) return fail(dir, "empty handshake record", out);
    while (!st.stopped && !fragment.empty()) {
        auto r = st.handshakes.next(fragment);
        if (r.status == ParseStatus::Incomplete) return;
        if (r.status == ParseStatus::Error) return fail(dir, r.error, out);
        on_handshake(dir, r.value, version, out);
    }
}

// A protected record of a direction whose keys are known: open it, then decode what it holds.
void TlsSession::Impl::on_protected(Dir dir, const Record& record, tls::RecordCipher& cipher,
                                    std::vector<Payload>& out) {
    DirState& st = at(dir);
    std::uint8_t type = record.type;
    Bytes plain;
    const std::uint64_t seq = cipher.sequence();
    if (!cipher.open(type, record.version, record.fragment, plain)) {
        decrypt->disable(dir);
        out.emplace_back(Notice{"tls-decrypt", std::string("TLS ") + dir_text(dir) + ": record " +
                                                   std::to_string(seq) + " after the key change failed to "
                                                   "authenticate with the key log's secrets (keys of another "
                                                   "session, or a damaged record); this direction is no "
                                                   "longer decrypted"});
        return on_record(dir, record, out);  // reported as without keys
    }
    if (tls13 && record.type == application_data) {
        if (dir == Dir::ServerToClient) server_flight = true;
        else if (server_flight) client_flight = true;
    }
    if (type != handshake && st.handshakes.pending())
        return fail(dir, "handshake message interrupted by a decrypted record", out);
    switch (type) {
    case handshake:
        st.encrypted_handshake = st.ccs;
        return on_handshake_bytes(dir, plain, record.version, out);
    case alert: return named_alerts(dir, plain, out);
    case change_cipher_spec: return on_renegotiated_keys(dir, record, plain, out);
    case application_data: {
        TlsMessage m;
        m.type = "application_data";
        m.version = version_text(record.version);
        m.length = plain.size();
        out.emplace_back(std::move(m));
        ++st.app_records;
        if (plaintext && !plain.empty()) plaintext(dir, plain, out);
        return;
    }
    default:
        return fail(dir, std::string("decrypted record of content type ") + std::to_string(type) +
                             " where none is allowed", out);
    }
}

// TLS <= 1.2: a renegotiation's ChangeCipherSpec, decrypted. The new handshake's keys are not
// derived (its hellos were not given to the decryptor): this direction is reported as without
// keys from here on, and says so.
void TlsSession::Impl::on_renegotiated_keys(Dir dir, const Record& record, Bytes plain, std::vector<Payload>& out) {
    if (plain.size() != 1 || std::to_integer<unsigned>(plain[0]) != 1)
        return fail(dir, "malformed change_cipher_spec record", out);
    TlsMessage m;
    m.type = "change_cipher_spec";
    m.version = version_text(record.version);
    out.emplace_back(std::move(m));
    decrypt->disable(dir);
    out.emplace_back(Notice{"tls-decrypt", std::string("TLS ") + dir_text(dir) + ": renegotiated; the keys of the "
                                                                                "new handshake are not derived, so "
                                                                                "this direction is no longer decrypted"});
}

// TLS 1.3: a side's Finished and KeyUpdate change the keys of its following records.
void TlsSession::Impl::after_decrypted_handshake(Dir dir, const HandshakeMessage& msg, std::vector<Payload>& out) {
    if (!decrypt || !tls13 || !decrypt->cipher(dir)) return;
    if (msg.is(HandshakeType::finished)) decrypt_notice(decrypt->on_finished(dir), out);
    if (msg.is(HandshakeType::key_update)) decrypt_notice(decrypt->on_key_update(dir), out);
}

TlsSession::TlsSession(const KeyLog* keys) : impl_(std::make_unique<Impl>(keys)) {}
TlsSession::~TlsSession() = default;

void TlsSession::set_plaintext_handler(PlaintextHandler handler) { impl_->plaintext = std::move(handler); }

void TlsSession::feed(Dir dir, std::span<const std::byte> data, std::vector<Payload>& out) noexcept {
    impl_->feed(dir, data, out);
}

void TlsSession::gap(Dir dir) noexcept { impl_->at(dir).stopped = true; }

bool TlsSession::handshake_complete() const noexcept {
    if (impl_->tls13) return impl_->server_flight && impl_->client_flight;
    return impl_->first_handshake_done();
}

std::uint64_t TlsSession::application_records(Dir dir) const noexcept {
    return impl_->at(dir).app_records;
}

}  // namespace decoder
