// Decryption state of one TLS connection: the randoms and suite from the hellos, the secrets
// for the session, and per direction the record cipher in force.
//
// Where the secrets come from, in this order:
//  - the key log (CLIENT_RANDOM master secret; TLS 1.3 traffic secrets);
//  - a session resumed (same session id, or a ticket) from one whose master secret was learnt
//    earlier in the capture;
//  - RSA key exchange with a server private key (--rsa-key) whose public half is in the
//    server's certificate: the ClientKeyExchange's premaster secret is decrypted once, and
//    the master secret derived from it (RFC 5246 8.1, or RFC 7627 with extended master
//    secret, over the handshake transcript up to the ClientKeyExchange).
// TLS 1.0-1.2: keys from the master secret (TLS1-PRF key block; MD5+SHA-1 before TLS 1.2),
// switched on at each side's ChangeCipherSpec. TLS 1.3: handshake traffic secrets after the
// ServerHello, the application secrets after each side's Finished, a new secret at each
// KeyUpdate. TLS 1.3 0-RTT early data is not decrypted (its records fail to authenticate and
// are reported).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "decoder/model/events.hpp"

namespace decoder {

class KeyLog;
struct SessionSecrets;
namespace tls {
class RecordCipher;
struct SuiteInfo;
struct ServerHello;
}  // namespace tls

class TlsDecryptor {
public:
    explicit TlsDecryptor(const KeyLog& keys) noexcept;
    ~TlsDecryptor();
    TlsDecryptor(const TlsDecryptor&) = delete;
    TlsDecryptor& operator=(const TlsDecryptor&) = delete;

    // Every plaintext handshake message of either side, in order: the transcript that an RSA
    // session with extended master secret hashes. Kept only while it can be needed.
    void on_handshake(std::uint8_t type, std::span<const std::byte> body) noexcept;
    void on_client_hello(std::span<const std::byte> body) noexcept;
    // An SSLv2-compatible ClientHello: its random (the padded challenge) and its message bytes.
    void on_sslv2_client_hello(std::span<const std::byte> random, std::span<const std::byte> hello) noexcept;
    // After the (final) ServerHello. Returns why this session cannot be decrypted (no key,
    // unsupported version or suite, a key exchange the server key cannot open), or nothing.
    std::optional<std::string> on_server_hello(const tls::ServerHello& hello) noexcept;
    // The server's leaf certificate: picks the --rsa-key for an RSA key exchange.
    std::optional<std::string> on_server_certificate(std::span<const std::byte> der) noexcept;
    // RSA key exchange: decrypts the premaster secret and derives the master secret.
    std::optional<std::string> on_client_key_exchange(std::span<const std::byte> body) noexcept;
    // The server's NewSessionTicket: remembered with the master secret for later resumption.
    void on_new_session_ticket(std::span<const std::byte> body) noexcept;
    // TLS 1.0-1.2: `dir` sent ChangeCipherSpec; its following records use the new keys.
    std::optional<std::string> on_change_cipher_spec(Dir dir) noexcept;
    // TLS 1.3: `dir` sent its Finished; its following records use the application secret.
    std::optional<std::string> on_finished(Dir dir) noexcept;
    // TLS 1.3: `dir` sent a KeyUpdate.
    std::optional<std::string> on_key_update(Dir dir) noexcept;

    // The cipher for `dir`'s records, or null while they are not (or no longer) decrypted.
    tls::RecordCipher* cipher(Dir dir) noexcept;
    // A record of `dir` failed to authenticate: stop decrypting that direction.
    void disable(Dir dir) noexcept;
    bool usable() const noexcept;

private:
    std::optional<std::string> tls13_install(Dir dir, const std::vector<std::byte>& secret, const char* label) noexcept;
    std::optional<std::string> master_source(const tls::ServerHello& hello, const std::string& random);
    std::optional<std::string> derive_master(std::span<const std::byte> premaster);
    void learnt_master();

    const KeyLog& keys_;
    std::array<std::byte, 32> client_random_{}, server_random_{};
    bool have_client_random_ = false;
    std::vector<std::byte> client_session_id_, client_ticket_, session_id_;
    std::uint16_t version_ = 0;
    const SessionSecrets* secrets_ = nullptr;  // TLS 1.3
    const tls::SuiteInfo* suite_ = nullptr;
    bool encrypt_then_mac_ = false, extended_master_secret_ = false;
    bool awaiting_rsa_ = false;                // RSA key exchange: waiting for the ClientKeyExchange
    std::optional<std::size_t> rsa_key_;       // the --rsa-key matching the server certificate
    bool collecting_ = false;                  // keeping the transcript
    std::vector<std::byte> transcript_;
    std::vector<std::byte> master_;            // TLS 1.0-1.2
    std::vector<std::byte> key_block_;
    std::array<std::unique_ptr<tls::RecordCipher>, 2> ciphers_;
    std::array<bool, 2> disabled_{};
};

}  // namespace decoder
