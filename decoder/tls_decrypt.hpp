// Decryption state of one TLS connection with a key log: the randoms and suite from the
// hellos, the secrets the key log holds for the session, and per direction the record cipher
// in force. TLS 1.2: keys from the master secret (TLS1-PRF key block), switched on at each
// side's ChangeCipherSpec. TLS 1.3: handshake traffic secrets after the ServerHello, the
// application secrets after each side's Finished, a new secret at each KeyUpdate.
//
// Extended master secret (RFC 7627) changes how the master secret is computed, not how keys
// come from it; the key log holds the master secret itself, so EMS needs no handling here.
// TLS 1.3 0-RTT early data is not decrypted (the client's early records fail to authenticate
// and are reported).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "decoder/events.hpp"

namespace decoder {

class KeyLog;
struct SessionSecrets;
namespace tls {
class RecordCipher;
struct SuiteInfo;
}  // namespace tls

class TlsDecryptor {
public:
    explicit TlsDecryptor(const KeyLog& keys) noexcept;
    ~TlsDecryptor();
    TlsDecryptor(const TlsDecryptor&) = delete;
    TlsDecryptor& operator=(const TlsDecryptor&) = delete;

    void on_client_hello(std::span<const std::byte> client_random) noexcept;
    // After the (final) ServerHello. Returns why this session cannot be decrypted (no key,
    // unsupported version or suite), or nothing when it can.
    std::optional<std::string> on_server_hello(std::span<const std::byte> server_random, std::uint16_t version,
                                               std::uint16_t suite, bool encrypt_then_mac) noexcept;
    // TLS 1.2: `dir` sent ChangeCipherSpec; its following records use the new keys.
    std::optional<std::string> on_change_cipher_spec(Dir dir) noexcept;
    // TLS 1.3: `dir` sent its Finished; its following records use the application secret.
    std::optional<std::string> on_finished(Dir dir) noexcept;
    // TLS 1.3: `dir` sent a KeyUpdate.
    std::optional<std::string> on_key_update(Dir dir) noexcept;

    // The cipher for `dir`'s records, or null while they are not (or no longer) decrypted.
    tls::RecordCipher* cipher(Dir dir) noexcept;
    // A record of `dir` failed to authenticate: stop decrypting that direction.
    void disable(Dir dir) noexcept;
    bool usable() const noexcept { return secrets_ != nullptr && suite_ != nullptr; }

private:
    std::optional<std::string> tls13_install(Dir dir, const std::vector<std::byte>& secret, const char* label) noexcept;

    const KeyLog& keys_;
    std::array<std::byte, 32> client_random_{}, server_random_{};
    bool have_client_random_ = false;
    const SessionSecrets* secrets_ = nullptr;
    const tls::SuiteInfo* suite_ = nullptr;
    bool encrypt_then_mac_ = false;
    std::vector<std::byte> key_block_;  // TLS 1.2
    std::array<std::unique_ptr<tls::RecordCipher>, 2> ciphers_;
    std::array<bool, 2> disabled_{};
};

}  // namespace decoder
