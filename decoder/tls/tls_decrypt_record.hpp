// Record protection for one direction of a TLS session, through OpenSSL 3 EVP only: AEAD
// (AES-128/256-GCM, ChaCha20-Poly1305) for TLS 1.2 and 1.3; AES-CBC and 3DES-CBC with HMAC
// (MD5/SHA-1/256/384; MAC-then-encrypt, or encrypt-then-MAC per RFC 7366) for TLS 1.0 to 1.2;
// RC4 with HMAC where OpenSSL's legacy provider has it. TLS 1.0 CBC has no IV in the record:
// each record's IV is the last ciphertext block of the previous one (the first is from the key
// block); TLS 1.1 and 1.2 send an explicit IV first in every record. Holds the sequence
// number; every record that fails to authenticate is refused (its bytes are never returned as
// plaintext).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "decoder/tls/tls_suites.hpp"

namespace decoder::tls {

class RecordCipher {
public:
    // TLS 1.0-1.2 keys from the key block; `version` is the negotiated one (0x0301 selects the
    // implicit CBC IV). Null (with `error`) when OpenSSL refuses the key or lacks the cipher.
    static std::unique_ptr<RecordCipher> tls12(const SuiteInfo& suite, std::span<const std::byte> key,
                                               std::span<const std::byte> fixed_iv,
                                               std::span<const std::byte> mac_key, bool encrypt_then_mac,
                                               std::string& error, std::uint16_t version = 0x0303) noexcept;
    // TLS 1.3 keys from a traffic secret (key and iv by HKDF-Expand-Label).
    static std::unique_ptr<RecordCipher> tls13(const SuiteInfo& suite, std::span<const std::byte> secret,
                                               std::string& error) noexcept;
    ~RecordCipher();
    RecordCipher(const RecordCipher&) = delete;
    RecordCipher& operator=(const RecordCipher&) = delete;

    // Decrypts and authenticates one record's fragment. `type` is the record's content type;
    // TLS 1.3 sets it to the inner content type. On success `out` holds the plaintext (view
    // valid until the next call) and the sequence number advances; false when the record does
    // not authenticate or is malformed (`out` is empty then).
    bool open(std::uint8_t& type, std::uint16_t version, std::span<const std::byte> fragment,
              std::span<const std::byte>& out) noexcept;

    // TLS 1.3 KeyUpdate: next secret ("traffic upd"), new key and iv, sequence number 0.
    bool update_key(std::string& error) noexcept;

    std::uint64_t sequence() const { return seq_; }

private:
    struct Impl;
    explicit RecordCipher(std::unique_ptr<Impl> impl);
    bool open_aead12(std::uint8_t type, std::uint16_t version, std::span<const std::byte> f);
    bool open_cbc12(std::uint8_t type, std::uint16_t version, std::span<const std::byte> f);
    bool open_stream(std::uint8_t type, std::uint16_t version, std::span<const std::byte> f);
    bool open_aead13(std::uint8_t& type, std::span<const std::byte> f);

    std::unique_ptr<Impl> impl_;
    std::uint64_t seq_ = 0;
};

}  // namespace decoder::tls
