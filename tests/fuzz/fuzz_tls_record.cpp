// The record ciphers behind a key (decoder/tls/tls_decrypt_record.cpp) with plaintext the fuzzer
// chooses: mutating captured records only ever fails authentication, so here the harness
// seals each record itself with fixed keys and the decryptor must give back exactly what was
// sealed. Input: a selector byte (low 4 bits: suite and protocol version; 0x40: encrypt-then-MAC
// for CBC; 0x80: "raw", the bytes are sealed as they are, so CBC padding and MAC, RC4's MAC and
// the TLS 1.3 inner type and zeros are the fuzzer's), then records of [content type][length,
// 2 bytes][plaintext].
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string>
#include <vector>

#include "decoder/tls/openssl_legacy.hpp"
#include "decoder/tls/tls_decrypt_kdf.hpp"
#include "decoder/tls/tls_decrypt_record.hpp"

namespace {

using Bytes = std::vector<unsigned char>;
using decoder::tls::CipherKind;
using decoder::tls::SuiteInfo;

struct Config {
    std::uint16_t suite, version;
};
// 0-7: GCM 1.2 (both hashes), ChaCha 1.2, CBC SHA-1 / SHA-256 / SHA-384, the three TLS 1.3
// suites. 8-15: what Windows Server 2008 R2-2012 R2 peers negotiate with Schannel: AES-CBC
// in TLS 1.0 (no IV in the record: each one's is the last ciphertext block before it) and
// 1.1, 3DES (8-byte blocks) in 1.0 and 1.2, RC4 with SHA-1 and MD5 (one keystream across
// the records), AES-CBC-SHA256.
constexpr std::array<Config, 16> kConfigs = {{{0xc02f, 0x0303}, {0xc030, 0x0303}, {0xcca8, 0x0303},
                                              {0x002f, 0x0303}, {0xc027, 0x0303}, {0xc028, 0x0303},
                                              {0x1301, 0x0303}, {0x1303, 0x0303}, {0x002f, 0x0301},
                                              {0x0035, 0x0302}, {0x000a, 0x0301}, {0x000a, 0x0303},
                                              {0x0005, 0x0301}, {0x0004, 0x0302}, {0x003c, 0x0303},
                                              {0x0035, 0x0301}}};

std::span<const std::byte> view(const Bytes& b) { return {reinterpret_cast<const std::byte*>(b.data()), b.size()}; }
Bytes fixed(std::size_t n, unsigned char seed) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<unsigned char>(seed + 7 * i);
    return b;
}
std::array<unsigned char, 13> header12(std::uint64_t seq, std::uint8_t type, std::uint16_t version, std::size_t len) {
    std::array<unsigned char, 13> h{};
    for (int i = 0; i < 8; ++i) h[i] = static_cast<unsigned char>(seq >> (56 - 8 * i));
    h[8] = type, h[9] = static_cast<unsigned char>(version >> 8), h[10] = static_cast<unsigned char>(version);
    h[11] = static_cast<unsigned char>(len >> 8), h[12] = static_cast<unsigned char>(len);
    return h;
}

// One direction's keys, and sealing as a TLS peer would.
struct Sealer {
    const SuiteInfo* suite;
    std::uint16_t version;
    Bytes key, iv, mac_key;
    bool etm;
    std::uint64_t seq = 0;
    Bytes chain_iv{};  // TLS 1.0 CBC: the IV of the next record (the last ciphertext block so far)
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> rc4{nullptr, EVP_CIPHER_CTX_free};

    bool implicit_iv() const { return version < 0x0302; }

    Bytes aead(const unsigned char* nonce, const unsigned char* aad, std::size_t aad_len, const Bytes& plain) const {
        EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, suite->cipher, nullptr);
        EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
        Bytes out(plain.size() + 16);
        int len = 0;
        if (EVP_EncryptInit_ex2(ctx, cipher, key.data(), nonce, nullptr) <= 0 ||
            EVP_EncryptUpdate(ctx, nullptr, &len, aad, static_cast<int>(aad_len)) <= 0 ||
            EVP_EncryptUpdate(ctx, out.data(), &len, plain.data(), static_cast<int>(plain.size())) <= 0 ||
            EVP_EncryptFinal_ex(ctx, out.data() + len, &len) <= 0 ||
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out.data() + plain.size()) <= 0)
            std::abort();  // the harness's own sealing failed: nothing would be tested
        EVP_CIPHER_CTX_free(ctx);
        EVP_CIPHER_free(cipher);
        return out;
    }
    Bytes mac(const std::array<unsigned char, 13>& header, const unsigned char* data, std::size_t n) const {
        Bytes input(header.begin(), header.end());
        input.insert(input.end(), data, data + n);
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        HMAC(EVP_get_digestbyname(suite->mac), mac_key.data(), static_cast<int>(mac_key.size()), input.data(),
             input.size(), out, &len);
        return Bytes(out, out + len);
    }
    // [IV] || CBC(plain), plain already a whole number of blocks: TLS 1.1+ send a fresh IV
    // first; TLS 1.0 sends none and chains on from the previous record's last block.
    Bytes cbc(const Bytes& plain) {
        const std::size_t block = suite->block_size();
        const Bytes record_iv = implicit_iv() ? chain_iv : fixed(block, static_cast<unsigned char>(seq));
        Bytes out = implicit_iv() ? Bytes() : record_iv;
        const std::size_t at = out.size();
        out.resize(at + plain.size());
        EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, suite->cipher, nullptr);
        EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
        int len = 0;
        if (EVP_EncryptInit_ex2(ctx, cipher, key.data(), record_iv.data(), nullptr) <= 0 ||
            EVP_CIPHER_CTX_set_padding(ctx, 0) <= 0 ||
            EVP_EncryptUpdate(ctx, out.data() + at, &len, plain.data(), static_cast<int>(plain.size())) <= 0)
            std::abort();
        EVP_CIPHER_CTX_free(ctx);
        EVP_CIPHER_free(cipher);
        if (implicit_iv() && out.size() >= block) chain_iv.assign(out.end() - static_cast<std::ptrdiff_t>(block), out.end());
        return out;
    }
    // RC4: the keystream runs on across records, as the decryptor's does.
    Bytes stream(const Bytes& plain) {
        if (!rc4) {
            EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, suite->cipher, nullptr);
            rc4.reset(EVP_CIPHER_CTX_new());
            if (!cipher || EVP_EncryptInit_ex2(rc4.get(), cipher, key.data(), nullptr, nullptr) <= 0) std::abort();
            EVP_CIPHER_free(cipher);
        }
        Bytes out(plain.size());
        int len = 0;
        if (!plain.empty() && EVP_EncryptUpdate(rc4.get(), out.data(), &len, plain.data(), static_cast<int>(plain.size())) <= 0)
            std::abort();
        return out;
    }
    std::array<unsigned char, 12> nonce_xor() const {
        std::array<unsigned char, 12> n{};
        std::memcpy(n.data(), iv.data(), 12);
        for (int i = 0; i < 8; ++i) n[4 + i] ^= static_cast<unsigned char>(seq >> (56 - 8 * i));
        return n;
    }

    Bytes seal(std::uint8_t type, const Bytes& plain, bool raw) {
        if (suite->tls13) {
            Bytes inner = plain;
            if (!raw) inner.push_back(type), inner.resize(inner.size() + plain.size() % 5);
            const unsigned char aad[5] = {23, 3, 3, static_cast<unsigned char>((inner.size() + 16) >> 8),
                                          static_cast<unsigned char>(inner.size() + 16)};
            return aead(nonce_xor().data(), aad, 5, inner);
        }
        const auto header = [&](std::size_t len) { return header12(seq, type, version, len); };
        if (suite->kind == CipherKind::Gcm) {
            std::array<unsigned char, 12> nonce{};
            std::memcpy(nonce.data(), iv.data(), 4);
            for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<unsigned char>(seq * 31 + i);
            Bytes out(nonce.begin() + 4, nonce.end());
            const auto sealed = aead(nonce.data(), header(plain.size()).data(), 13, plain);
            out.insert(out.end(), sealed.begin(), sealed.end());
            return out;
        }
        if (suite->kind == CipherKind::ChaCha20Poly1305) return aead(nonce_xor().data(), header(plain.size()).data(), 13, plain);
        Bytes padded = plain;
        if (!etm && !raw) {
            const auto m = mac(header(plain.size()), plain.data(), plain.size());
            padded.insert(padded.end(), m.begin(), m.end());
        }
        if (suite->kind == CipherKind::Stream) return stream(padded);
        const std::size_t block = suite->block_size();
        if (raw) {
            padded.resize((padded.size() + block - 1) / block * block);
        } else {  // one to three blocks of padding, each byte its length
            const std::size_t pad = block - 1 - padded.size() % block + block * (plain.size() % 3);
            padded.insert(padded.end(), pad + 1, static_cast<unsigned char>(pad));
        }
        Bytes out = cbc(padded);
        if (etm) {
            const auto m = mac(header(out.size()), out.data(), out.size());
            out.insert(out.end(), m.begin(), m.end());
        }
        return out;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const bool raw = data[0] & 0x80;
    const Config config = kConfigs[data[0] & 0x0f];
    const SuiteInfo* suite = decoder::tls::find_suite(config.suite);
    // RC4 is in OpenSSL's legacy provider only; the decryptor loads it too.
    if (!suite || (suite->kind == CipherKind::Stream && !decoder::load_legacy_provider())) std::abort();
    Sealer sealer{suite, config.version, fixed(suite->key_length, 0x11), fixed(16, 0x22), fixed(48, 0x33),
                  (data[0] & 0x40) != 0 && suite->kind == CipherKind::Cbc};
    std::string error;
    std::unique_ptr<decoder::tls::RecordCipher> cipher;
    if (suite->tls13) {
        const Bytes secret = fixed(std::string(suite->prf) == "SHA384" ? 48 : 32, 0x44);
        auto key = decoder::tls::hkdf_expand_label(suite->prf, view(secret), "key", {}, suite->key_length);
        auto iv = decoder::tls::hkdf_expand_label(suite->prf, view(secret), "iv", {}, 12);
        if (!key || !iv) std::abort();
        sealer.key.assign(reinterpret_cast<unsigned char*>(key->data()), reinterpret_cast<unsigned char*>(key->data()) + key->size());
        sealer.iv.assign(reinterpret_cast<unsigned char*>(iv->data()), reinterpret_cast<unsigned char*>(iv->data()) + iv->size());
        cipher = decoder::tls::RecordCipher::tls13(*suite, view(secret), error);
    } else {
        sealer.mac_key.resize(suite->mac_length());
        sealer.iv.resize(suite->fixed_iv_length());  // the key block's IV: 16 (AES), 8 (3DES), 4 (GCM), 12, 0 (RC4)
        sealer.chain_iv = sealer.iv;
        cipher = decoder::tls::RecordCipher::tls12(*suite, view(sealer.key), view(sealer.iv), view(sealer.mac_key),
                                                  sealer.etm, error, config.version);
    }
    if (!cipher) std::abort();

    for (std::size_t at = 1; at + 3 <= size; ++sealer.seq) {
        const std::uint8_t type = data[at];
        const std::size_t n = std::min<std::size_t>((data[at + 1] << 8) | data[at + 2], size - at - 3);
        const Bytes plain(data + at + 3, data + at + 3 + n);
        at += 3 + n;
        const Bytes record = sealer.seal(type, plain, raw);
        std::uint8_t opened_type = type;
        std::span<const std::byte> out;
        const bool ok = cipher->open(opened_type, config.version, view(record), out);
        // A record sealed as a peer seals it opens to what was sealed (TLS 1.3: content type
        // 0 is the padding, and an inner plaintext is at most 2^14 + 256 bytes).
        const bool valid = !raw && !(suite->tls13 && (type == 0 || record.size() > (1u << 14) + 256 + 16));
        if (valid && (!ok || out.size() != plain.size() || !std::equal(plain.begin(), plain.end(),
                                                                   reinterpret_cast<const unsigned char*>(out.data())) ||
                      opened_type != type))
            std::abort();
        if (!ok) break;  // the decryptor's sequence number no longer matches ours
    }
    return 0;
}
