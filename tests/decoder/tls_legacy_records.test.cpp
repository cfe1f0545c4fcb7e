// Record protection that no OpenSSL peer on this machine negotiates any more (Debian's libssl
// has no 3DES or RC4 cipher suites), but Windows servers of the Exchange 2010 / Lync 2010 era
// still do: TLS_RSA_WITH_3DES_EDE_CBC_SHA in TLS 1.0 and TLS_RSA_WITH_RC4_128_SHA/MD5.
// The records are made here the way RFC 2246 says, by encrypting with EVP (CBC chained across
// records, one RC4 keystream per direction), and must come out of RecordCipher as sent.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <string>
#include <vector>

#include "decoder/tls/openssl_legacy.hpp"
#include "decoder/base/openssl_ptr.hpp"
#include "decoder/tls/tls_decrypt_record.hpp"

using namespace decoder;

namespace {

using Bytes = std::vector<std::byte>;

Bytes filled(std::size_t n, unsigned seed) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::byte>(seed + 7 * i);
    return b;
}

const unsigned char* u8(const Bytes& b) { return reinterpret_cast<const unsigned char*>(b.data()); }

// HMAC(mac_key, seq || type 23 || version || length || plaintext)
Bytes record_mac(const EVP_MD* md, const Bytes& key, std::uint64_t seq, std::uint16_t version, const std::string& p) {
    std::vector<unsigned char> in(13);
    for (int i = 7; i >= 0; --i, seq >>= 8) in[static_cast<std::size_t>(i)] = static_cast<unsigned char>(seq);
    in[8] = 23;
    in[9] = static_cast<unsigned char>(version >> 8);
    in[10] = static_cast<unsigned char>(version);
    in[11] = static_cast<unsigned char>(p.size() >> 8);
    in[12] = static_cast<unsigned char>(p.size());
    in.insert(in.end(), p.begin(), p.end());
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()), in.data(), in.size(), out, &len);
    return Bytes(reinterpret_cast<std::byte*>(out), reinterpret_cast<std::byte*>(out) + len);
}

const std::array<std::string, 3> kPlain = {"OPTIONS sip:lync01.contoso.com SIP/2.0\r\n", std::string(1000, 'x'),
                                           "SIP/2.0 200 OK\r\n\r\n"};

std::string text(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

}  // namespace

TEST_CASE("[tls_legacy] TLS 1.0 3DES-CBC: each record's IV is the previous record's last block", "[tls_decrypt]") {
    const auto* suite = tls::find_suite(0x000a);
    REQUIRE(suite);
    const Bytes key = filled(24, 1), iv = filled(8, 2), mac_key = filled(20, 3);
    OpenSslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free> enc(EVP_CIPHER_CTX_new());
    REQUIRE(EVP_EncryptInit_ex(enc.get(), EVP_des_ede3_cbc(), nullptr, u8(key), u8(iv)) == 1);
    EVP_CIPHER_CTX_set_padding(enc.get(), 0);
    std::vector<Bytes> records;
    for (std::size_t seq = 0; seq < kPlain.size(); ++seq) {
        Bytes data(reinterpret_cast<const std::byte*>(kPlain[seq].data()),
                   reinterpret_cast<const std::byte*>(kPlain[seq].data()) + kPlain[seq].size());
        const Bytes mac = record_mac(EVP_sha1(), mac_key, seq, 0x0301, kPlain[seq]);
        data.insert(data.end(), mac.begin(), mac.end());
        const std::size_t pad = 8 - (data.size() + 1) % 8 + (seq == 1 ? 8 : 0);  // a longer padding once
        data.insert(data.end(), pad + 1, static_cast<std::byte>(pad));
        Bytes out(data.size());
        int n = 0;
        REQUIRE(EVP_EncryptUpdate(enc.get(), reinterpret_cast<unsigned char*>(out.data()), &n, u8(data),
                                  static_cast<int>(data.size())) == 1);
        REQUIRE(static_cast<std::size_t>(n) == data.size());
        records.push_back(out);
    }
    std::string error;
    auto cipher = tls::RecordCipher::tls12(*suite, key, iv, mac_key, false, error, 0x0301);
    REQUIRE(cipher);
    SECTION("every record opens to what was sent") {
        for (std::size_t i = 0; i < records.size(); ++i) {
            std::uint8_t type = 23;
            std::span<const std::byte> plain;
            REQUIRE(cipher->open(type, 0x0301, records[i], plain));
            CHECK(text(plain) == kPlain[i]);
        }
    }
    SECTION("a damaged byte fails to authenticate") {
        std::uint8_t type = 23;
        std::span<const std::byte> plain;
        REQUIRE(cipher->open(type, 0x0301, records[0], plain));
        records[1][5] ^= std::byte{0x40};
        CHECK_FALSE(cipher->open(type, 0x0301, records[1], plain));
        CHECK(plain.empty());
    }
    SECTION("the same records read as TLS 1.1 (explicit IV) do not open") {
        auto explicit_iv = tls::RecordCipher::tls12(*suite, key, iv, mac_key, false, error, 0x0302);
        REQUIRE(explicit_iv);
        std::uint8_t type = 23;
        std::span<const std::byte> plain;
        CHECK_FALSE(explicit_iv->open(type, 0x0301, records[0], plain));
    }
}

TEST_CASE("[tls_legacy] RC4 with HMAC-SHA1 and HMAC-MD5: one keystream across records", "[tls_decrypt]") {
    const std::uint16_t code = GENERATE(0x0005, 0x0004);
    CAPTURE(code);
    const auto* suite = tls::find_suite(code);
    REQUIRE(suite);
    if (!decoder::load_legacy_provider()) FAIL("OpenSSL's legacy provider (RC4) is not installed");
    OpenSslPtr<EVP_CIPHER, EVP_CIPHER_free> rc4(EVP_CIPHER_fetch(nullptr, "RC4", nullptr));
    REQUIRE(rc4);
    const Bytes key = filled(16, 9), mac_key = filled(suite->mac_length(), 4);
    const EVP_MD* md = code == 0x0004 ? EVP_md5() : EVP_sha1();
    OpenSslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free> enc(EVP_CIPHER_CTX_new());
    REQUIRE(EVP_EncryptInit_ex2(enc.get(), rc4.get(), u8(key), nullptr, nullptr) == 1);
    std::string error;
    auto cipher = tls::RecordCipher::tls12(*suite, key, {}, mac_key, false, error, 0x0301);
    REQUIRE(cipher);
    for (std::size_t seq = 0; seq < kPlain.size(); ++seq) {
        Bytes data(reinterpret_cast<const std::byte*>(kPlain[seq].data()),
                   reinterpret_cast<const std::byte*>(kPlain[seq].data()) + kPlain[seq].size());
        const Bytes mac = record_mac(md, mac_key, seq, 0x0301, kPlain[seq]);
        data.insert(data.end(), mac.begin(), mac.end());
        Bytes out(data.size());
        int n = 0;
        REQUIRE(EVP_EncryptUpdate(enc.get(), reinterpret_cast<unsigned char*>(out.data()), &n, u8(data),
                                  static_cast<int>(data.size())) == 1);
        std::uint8_t type = 23;
        std::span<const std::byte> plain;
        REQUIRE(cipher->open(type, 0x0301, out, plain));
        CHECK(text(plain) == kPlain[seq]);
    }
}
