// The cipher suites the decoder can decrypt, and what decryption needs to know about each:
// record protection (AEAD, CBC + HMAC, or the RC4 stream), key sizes, PRF hash, and whether
// the premaster secret travels RSA-encrypted (so the server's private key can recover it).
#pragma once

#include <cstddef>
#include <cstdint>

namespace decoder::tls {

enum class CipherKind { Gcm, ChaCha20Poly1305, Cbc, Stream };

struct SuiteInfo {
    std::uint16_t code = 0;
    CipherKind kind = CipherKind::Gcm;
    const char* cipher = "";   // EVP name: "AES-128-GCM", "ChaCha20-Poly1305", "DES-EDE3-CBC", "RC4"
    std::size_t key_length = 0;
    const char* mac = nullptr; // CBC and stream: HMAC digest ("MD5", "SHA1", "SHA256", "SHA384")
    const char* prf = "SHA256";// TLS 1.2 PRF digest / TLS 1.3 HKDF hash (TLS 1.0/1.1 use MD5+SHA-1)
    bool tls13 = false;

    std::size_t mac_length() const;
    std::size_t block_size() const;      // CBC: 8 (3DES) or 16 (AES); 0 otherwise
    std::size_t fixed_iv_length() const; // key block IV bytes (TLS 1.0-1.2) / nonce (TLS 1.3)
    bool rsa_key_exchange() const;       // TLS_RSA_WITH_*: premaster encrypted to the server's RSA key
};

// The suite, or nullptr when decryption does not support it.
const SuiteInfo* find_suite(std::uint16_t code) noexcept;

}  // namespace decoder::tls
