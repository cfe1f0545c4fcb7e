// One direction's record protection through EVP; see tls_decrypt_record.hpp.
#include "decoder/tls/tls_decrypt_record.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "decoder/tls/openssl_legacy.hpp"
#include "decoder/tls/tls_decrypt_kdf.hpp"

namespace decoder::tls {

namespace {

using K = CipherKind;
constexpr std::size_t kTag = 16, kExplicitNonce = 8, kNonce = 12, kMaxBlock = 16;
constexpr std::size_t kMaxPlain = (1u << 14) + 256;  // TLS 1.3 inner plaintext limit (+ type, padding)


const unsigned char* u8(std::span<const std::byte> s) { return reinterpret_cast<const unsigned char*>(s.data()); }

void put_u64(unsigned char* p, std::uint64_t v) {
    for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<unsigned char>(v);
}

// seq_num(8) || type(1) || version(2) || length(2): the TLS 1.2 MAC and AEAD header.
std::array<unsigned char, 13> header12(std::uint64_t seq, std::uint8_t type, std::uint16_t version, std::size_t len) {
    std::array<unsigned char, 13> h{};
    put_u64(h.data(), seq);
    h[8] = type;
    h[9] = static_cast<unsigned char>(version >> 8);
    h[10] = static_cast<unsigned char>(version);
    h[11] = static_cast<unsigned char>(len >> 8);
    h[12] = static_cast<unsigned char>(len);
    return h;
}

std::string openssl_error(const char* what) {
    std::string text = what;
    if (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        text += std::string(": ") + buf;
    }
    ERR_clear_error();
    return text;
}

}  // namespace

struct RecordCipher::Impl {
    const SuiteInfo* suite = nullptr;
    EVP_CIPHER* cipher = nullptr;
    EVP_CIPHER_CTX* ctx = nullptr;
    EVP_MAC* mac = nullptr;
    EVP_MAC_CTX* mac_ctx = nullptr;
    std::array<unsigned char, kMaxBlock> iv{};  // TLS 1.0 CBC: the next record's IV
    bool encrypt_then_mac = false;
    bool implicit_iv = false;  // TLS 1.0 CBC
    std::vector<std::byte> secret;  // TLS 1.3: the current traffic secret
    std::vector<unsigned char> buf;

    ~Impl() {
        EVP_CIPHER_CTX_free(ctx);
        EVP_CIPHER_free(cipher);
        EVP_MAC_CTX_free(mac_ctx);
        EVP_MAC_free(mac);
    }

    bool set_key(std::span<const std::byte> key, std::string& error) {
        if (!cipher && suite->kind == CipherKind::Stream) {
            // RC4 lives only in OpenSSL's legacy provider.
            cipher = load_legacy_provider() ? EVP_CIPHER_fetch(nullptr, suite->cipher, nullptr) : nullptr;
            if (!cipher) {
                error = std::string(suite->cipher) + " needs OpenSSL's legacy provider, which is not available";
                ERR_clear_error();
                return false;
            }
        }
        if (!cipher) cipher = EVP_CIPHER_fetch(nullptr, suite->cipher, nullptr);
        if (!ctx) ctx = EVP_CIPHER_CTX_new();
        if (!cipher || !ctx || key.size() != suite->key_length ||
            EVP_DecryptInit_ex2(ctx, cipher, u8(key), nullptr, nullptr) <= 0) {
            error = openssl_error("cannot set up the record cipher");
            return false;
        }
        return true;
    }

    bool set_mac_key(std::span<const std::byte> key, std::string& error) {
        mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        mac_ctx = mac ? EVP_MAC_CTX_new(mac) : nullptr;
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(suite->mac), 0),
            OSSL_PARAM_construct_end()};
        if (!mac_ctx || EVP_MAC_init(mac_ctx, u8(key), key.size(), params) <= 0) {
            error = openssl_error("cannot set up the record MAC");
            return false;
        }
        return true;
    }

    // HMAC over header || data == expected (constant time).
    bool mac_matches(const std::array<unsigned char, 13>& header, const unsigned char* data, std::size_t n,
                     const unsigned char* expected) {
        unsigned char out[EVP_MAX_MD_SIZE];
        std::size_t len = 0;
        if (EVP_MAC_init(mac_ctx, nullptr, 0, nullptr) <= 0 || EVP_MAC_update(mac_ctx, header.data(), 13) <= 0 ||
            EVP_MAC_update(mac_ctx, data, n) <= 0 || EVP_MAC_final(mac_ctx, out, &len, sizeof out) <= 0) {
            ERR_clear_error();
            return false;
        }
        return len == suite->mac_length() && CRYPTO_memcmp(out, expected, len) == 0;
    }

    // AEAD decryption of ct||tag with nonce and aad into buf.
    bool aead(const unsigned char* nonce, const unsigned char* aad, std::size_t aad_len, const unsigned char* ct,
              std::size_t ct_len, const unsigned char* tag) {
        buf.resize(ct_len + kMaxBlock);
        int n = 0, m = 0;
        unsigned char tag_copy[kTag];
        std::memcpy(tag_copy, tag, kTag);
        const bool ok = EVP_DecryptInit_ex2(ctx, nullptr, nullptr, nonce, nullptr) > 0 &&
                        EVP_DecryptUpdate(ctx, nullptr, &n, aad, static_cast<int>(aad_len)) > 0 &&
                        EVP_DecryptUpdate(ctx, buf.data(), &n, ct, static_cast<int>(ct_len)) > 0 &&
                        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kTag, tag_copy) > 0 &&
                        EVP_DecryptFinal_ex(ctx, buf.data() + n, &m) > 0;
        if (!ok) {
            ERR_clear_error();
            buf.clear();
            return false;
        }
        buf.resize(static_cast<std::size_t>(n + m));
        return true;
    }

    void nonce_xor(std::uint64_t seq, unsigned char* nonce) const {
        std::memcpy(nonce, iv.data(), kNonce);
        unsigned char s[8];
        put_u64(s, seq);
        for (int i = 0; i < 8; ++i) nonce[4 + i] ^= s[i];
    }

    bool tls13_keys(std::string& error) {
        const std::size_t key_len = suite->key_length;
        auto key = hkdf_expand_label(suite->prf, secret, "key", {}, key_len);
        auto iv_bytes = hkdf_expand_label(suite->prf, secret, "iv", {}, kNonce);
        if (!key || !iv_bytes) {
            error = "HKDF-Expand-Label failed";
            return false;
        }
        std::memcpy(iv.data(), iv_bytes->data(), kNonce);
        return set_key(*key, error);
    }
};

RecordCipher::RecordCipher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RecordCipher::~RecordCipher() = default;

std::unique_ptr<RecordCipher> RecordCipher::tls12(const SuiteInfo& suite, std::span<const std::byte> key,
                                                  std::span<const std::byte> fixed_iv,
                                                  std::span<const std::byte> mac_key, bool encrypt_then_mac,
                                                  std::string& error, std::uint16_t version) noexcept {
    try {
        auto impl = std::make_unique<Impl>();
        impl->suite = &suite;
        impl->encrypt_then_mac = encrypt_then_mac && suite.kind == K::Cbc;
        impl->implicit_iv = suite.kind == K::Cbc && version < 0x0302;
        if (!fixed_iv.empty())  // stream ciphers (RC4) have no IV: memcpy from a null pointer is UB
            std::memcpy(impl->iv.data(), fixed_iv.data(), std::min(fixed_iv.size(), impl->iv.size()));
        if (!impl->set_key(key, error)) return nullptr;
        if ((suite.kind == K::Cbc || suite.kind == K::Stream) && !impl->set_mac_key(mac_key, error)) return nullptr;
        return std::unique_ptr<RecordCipher>(new RecordCipher(std::move(impl)));
    } catch (const std::exception& e) {
        error = e.what();
        return nullptr;
    }
}

std::unique_ptr<RecordCipher> RecordCipher::tls13(const SuiteInfo& suite, std::span<const std::byte> secret,
                                                  std::string& error) noexcept {
    try {
        auto impl = std::make_unique<Impl>();
        impl->suite = &suite;
        impl->secret.assign(secret.begin(), secret.end());
        if (!impl->tls13_keys(error)) return nullptr;
        return std::unique_ptr<RecordCipher>(new RecordCipher(std::move(impl)));
    } catch (const std::exception& e) {
        error = e.what();
        return nullptr;
    }
}

bool RecordCipher::update_key(std::string& error) noexcept {
    try {
        const std::size_t hash_len = impl_->secret.size();
        auto next = hkdf_expand_label(impl_->suite->prf, impl_->secret, "traffic upd", {}, hash_len);
        if (!next) {
            error = "HKDF-Expand-Label failed for the KeyUpdate";
            return false;
        }
        impl_->secret = std::move(*next);
        seq_ = 0;
        return impl_->tls13_keys(error);
    } catch (const std::exception& e) {
        error = e.what();
        return false;
    }
}

bool RecordCipher::open(std::uint8_t& type, std::uint16_t version, std::span<const std::byte> fragment,
                        std::span<const std::byte>& out) noexcept {
    out = {};
    bool ok = false;
    try {
        if (impl_->suite->tls13) ok = open_aead13(type, fragment);
        else if (impl_->suite->kind == K::Cbc) ok = open_cbc12(type, version, fragment);
        else if (impl_->suite->kind == K::Stream) ok = open_stream(type, version, fragment);
        else ok = open_aead12(type, version, fragment);
    } catch (...) {
        ok = false;
    }
    if (!ok) return false;
    ++seq_;
    out = std::as_bytes(std::span(impl_->buf));
    return true;
}

bool RecordCipher::open_aead12(std::uint8_t type, std::uint16_t version, std::span<const std::byte> f) {
    unsigned char nonce[kNonce];
    const unsigned char* p = u8(f);
    std::size_t n = f.size();
    if (impl_->suite->kind == K::Gcm) {  // fixed IV (4) || explicit nonce (8) from the record
        if (n < kExplicitNonce + kTag) return false;
        std::memcpy(nonce, impl_->iv.data(), 4);
        std::memcpy(nonce + 4, p, kExplicitNonce);
        p += kExplicitNonce;
        n -= kExplicitNonce;
    } else {  // RFC 7905: iv XOR sequence number
        if (n < kTag) return false;
        impl_->nonce_xor(seq_, nonce);
    }
    const auto aad = header12(seq_, type, version, n - kTag);
    return impl_->aead(nonce, aad.data(), aad.size(), p, n - kTag, p + n - kTag);
}

bool RecordCipher::open_aead13(std::uint8_t& type, std::span<const std::byte> f) {
    if (f.size() < kTag + 1 || f.size() > kMaxPlain + kTag) return false;
    unsigned char nonce[kNonce];
    impl_->nonce_xor(seq_, nonce);
    // additional_data = the record header: application_data, legacy 0x0303, length.
    const unsigned char aad[5] = {23, 3, 3, static_cast<unsigned char>(f.size() >> 8),
                                  static_cast<unsigned char>(f.size())};
    const unsigned char* p = u8(f);
    if (!impl_->aead(nonce, aad, sizeof aad, p, f.size() - kTag, p + f.size() - kTag)) return false;
    auto& buf = impl_->buf;  // TLSInnerPlaintext: content || type || zeros
    while (!buf.empty() && buf.back() == 0) buf.pop_back();
    if (buf.empty()) return false;
    type = buf.back();
    buf.pop_back();
    return true;
}

bool RecordCipher::open_cbc12(std::uint8_t type, std::uint16_t version, std::span<const std::byte> f) {
    const std::size_t mac_len = impl_->suite->mac_length(), block = impl_->suite->block_size();
    const std::size_t iv_len = impl_->implicit_iv ? 0 : block;  // TLS 1.1+: IV first in the record
    const unsigned char* p = u8(f);
    std::size_t n = f.size();
    if (impl_->encrypt_then_mac) {  // [IV] || ciphertext || MAC(header || [IV] || ciphertext)
        if (n < iv_len + block + mac_len) return false;
        n -= mac_len;
        if (!impl_->mac_matches(header12(seq_, type, version, n), p, n, p + n)) return false;
    }
    if (n < iv_len + block || (n - iv_len) % block) return false;
    const unsigned char* iv = impl_->implicit_iv ? impl_->iv.data() : p;
    auto& buf = impl_->buf;
    buf.resize(n + block);  // ciphertext bytes plus one block of slack
    int len = 0, fin = 0;
    const bool ok = EVP_DecryptInit_ex2(impl_->ctx, nullptr, nullptr, iv, nullptr) > 0 &&
                    EVP_CIPHER_CTX_set_padding(impl_->ctx, 0) > 0 &&
                    EVP_DecryptUpdate(impl_->ctx, buf.data(), &len, p + iv_len, static_cast<int>(n - iv_len)) > 0 &&
                    EVP_DecryptFinal_ex(impl_->ctx, buf.data() + len, &fin) > 0;
    if (!ok) {
        ERR_clear_error();
        return false;
    }
    if (impl_->implicit_iv) std::memcpy(impl_->iv.data(), p + n - block, block);
    buf.resize(static_cast<std::size_t>(len + fin));
    const std::size_t pad = buf.back();
    if (buf.size() < pad + 1 + (impl_->encrypt_then_mac ? 0 : mac_len)) return false;
    for (std::size_t i = buf.size() - pad - 1; i < buf.size(); ++i)
        if (buf[i] != pad) return false;
    std::size_t content = buf.size() - pad - 1;
    if (!impl_->encrypt_then_mac) {
        content -= mac_len;
        if (!impl_->mac_matches(header12(seq_, type, version, content), buf.data(), content, buf.data() + content))
            return false;
    }
    buf.resize(content);
    return true;
}

// RC4: one keystream per direction across all records (the context is never re-initialised);
// the MAC follows the content.
bool RecordCipher::open_stream(std::uint8_t type, std::uint16_t version, std::span<const std::byte> f) {
    const std::size_t mac_len = impl_->suite->mac_length();
    if (f.size() < mac_len) return false;
    auto& buf = impl_->buf;
    buf.resize(f.size());
    int len = 0;
    if (EVP_DecryptUpdate(impl_->ctx, buf.data(), &len, u8(f), static_cast<int>(f.size())) <= 0 ||
        static_cast<std::size_t>(len) != f.size()) {
        ERR_clear_error();
        return false;
    }
    const std::size_t content = f.size() - mac_len;
    if (!impl_->mac_matches(header12(seq_, type, version, content), buf.data(), content, buf.data() + content))
        return false;
    buf.resize(content);
    return true;
}

}  // namespace decoder::tls
