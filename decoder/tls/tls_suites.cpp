// Table of decryptable cipher suites; see tls_suites.hpp.
#include "decoder/tls/tls_suites.hpp"

#include <array>
#include <string_view>

namespace decoder::tls {

namespace {

using K = CipherKind;

constexpr auto kSuites = std::to_array<SuiteInfo>({
    // TLS 1.3
    {0x1301, K::Gcm, "AES-128-GCM", 16, nullptr, "SHA256", true},
    {0x1302, K::Gcm, "AES-256-GCM", 32, nullptr, "SHA384", true},
    {0x1303, K::ChaCha20Poly1305, "ChaCha20-Poly1305", 32, nullptr, "SHA256", true},
    // TLS 1.2 AEAD (RSA, DHE, ECDHE key exchange: the key log makes them all alike)
    {0x009c, K::Gcm, "AES-128-GCM", 16, nullptr, "SHA256"},
    {0x009d, K::Gcm, "AES-256-GCM", 32, nullptr, "SHA384"},
    {0x009e, K::Gcm, "AES-128-GCM", 16, nullptr, "SHA256"},
    {0x009f, K::Gcm, "AES-256-GCM", 32, nullptr, "SHA384"},
    {0xc02b, K::Gcm, "AES-128-GCM", 16, nullptr, "SHA256"},
    {0xc02c, K::Gcm, "AES-256-GCM", 32, nullptr, "SHA384"},
    {0xc02f, K::Gcm, "AES-128-GCM", 16, nullptr, "SHA256"},
    {0xc030, K::Gcm, "AES-256-GCM", 32, nullptr, "SHA384"},
    {0xcca8, K::ChaCha20Poly1305, "ChaCha20-Poly1305", 32, nullptr, "SHA256"},
    {0xcca9, K::ChaCha20Poly1305, "ChaCha20-Poly1305", 32, nullptr, "SHA256"},
    {0xccaa, K::ChaCha20Poly1305, "ChaCha20-Poly1305", 32, nullptr, "SHA256"},
    // CBC with HMAC-SHA1: TLS 1.0 to 1.2
    {0x002f, K::Cbc, "AES-128-CBC", 16, "SHA1", "SHA256"},
    {0x0035, K::Cbc, "AES-256-CBC", 32, "SHA1", "SHA256"},
    {0x0033, K::Cbc, "AES-128-CBC", 16, "SHA1", "SHA256"},
    {0x0039, K::Cbc, "AES-256-CBC", 32, "SHA1", "SHA256"},
    {0xc009, K::Cbc, "AES-128-CBC", 16, "SHA1", "SHA256"},
    {0xc00a, K::Cbc, "AES-256-CBC", 32, "SHA1", "SHA256"},
    {0xc013, K::Cbc, "AES-128-CBC", 16, "SHA1", "SHA256"},
    {0xc014, K::Cbc, "AES-256-CBC", 32, "SHA1", "SHA256"},
    {0x000a, K::Cbc, "DES-EDE3-CBC", 24, "SHA1", "SHA256"},  // TLS_RSA_WITH_3DES_EDE_CBC_SHA
    {0x0016, K::Cbc, "DES-EDE3-CBC", 24, "SHA1", "SHA256"},
    {0xc008, K::Cbc, "DES-EDE3-CBC", 24, "SHA1", "SHA256"},
    {0xc012, K::Cbc, "DES-EDE3-CBC", 24, "SHA1", "SHA256"},
    // CBC with HMAC-SHA256/384: TLS 1.2 only
    {0x003c, K::Cbc, "AES-128-CBC", 16, "SHA256", "SHA256"},
    {0x003d, K::Cbc, "AES-256-CBC", 32, "SHA256", "SHA256"},
    {0x0067, K::Cbc, "AES-128-CBC", 16, "SHA256", "SHA256"},
    {0x006b, K::Cbc, "AES-256-CBC", 32, "SHA256", "SHA256"},
    {0xc023, K::Cbc, "AES-128-CBC", 16, "SHA256", "SHA256"},
    {0xc024, K::Cbc, "AES-256-CBC", 32, "SHA384", "SHA384"},
    {0xc027, K::Cbc, "AES-128-CBC", 16, "SHA256", "SHA256"},
    {0xc028, K::Cbc, "AES-256-CBC", 32, "SHA384", "SHA384"},
    // RC4 (OpenSSL's legacy provider): TLS_RSA_WITH_RC4_128_MD5/SHA, ECDHE_*_RC4_128_SHA
    {0x0004, K::Stream, "RC4", 16, "MD5", "SHA256"},
    {0x0005, K::Stream, "RC4", 16, "SHA1", "SHA256"},
    {0xc007, K::Stream, "RC4", 16, "SHA1", "SHA256"},
    {0xc011, K::Stream, "RC4", 16, "SHA1", "SHA256"},
});

// TLS_RSA_WITH_*: the client encrypts the premaster secret to the server certificate's key.
constexpr auto kRsaKeyExchange = std::to_array<std::uint16_t>(
    {0x0004, 0x0005, 0x000a, 0x002f, 0x0035, 0x003c, 0x003d, 0x009c, 0x009d});

}  // namespace

std::size_t SuiteInfo::mac_length() const {
    if (!mac) return 0;
    const std::string_view m(mac);
    return m == "MD5" ? 16 : m == "SHA1" ? 20 : m == "SHA256" ? 32 : 48;
}

std::size_t SuiteInfo::block_size() const {
    if (kind != K::Cbc) return 0;
    return std::string_view(cipher).starts_with("DES") ? 8 : 16;
}

std::size_t SuiteInfo::fixed_iv_length() const {
    if (tls13 || kind == K::ChaCha20Poly1305) return 12;
    if (kind == K::Gcm) return 4;
    return block_size();
}

bool SuiteInfo::rsa_key_exchange() const {
    for (auto c : kRsaKeyExchange)
        if (c == code) return true;
    return false;
}

const SuiteInfo* find_suite(std::uint16_t code) noexcept {
    for (const auto& s : kSuites)
        if (s.code == code) return &s;
    return nullptr;
}

}  // namespace decoder::tls
