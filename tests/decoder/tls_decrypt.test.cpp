// TLS decryption with a key log over real sessions made in-process by OpenSSL (see
// tls_decrypt_support): every supported suite family, KeyUpdate, at once / per byte / split,
// and records that must not authenticate. Plus known-answer tests for the two KDFs.
#include <catch2/catch.hpp>

#include <map>

#include "decoder/tls/tls_decrypt_kdf.hpp"
#include "decoder/tls/tls_decrypt_record.hpp"
#include "decoder/tls_decrypt_support.hpp"
#include "decoder/tls/tls_keylog.hpp"
#include "decoder/tls/tls_rsa_keys.hpp"

#include <openssl/pem.h>

#include <fstream>
#include <iterator>

#include "decoder/base/openssl_ptr.hpp"
#include "decoder/tls/tls_session.hpp"

using namespace decoder;
using namespace decrypt_fixture;

namespace {

const Dir C = Dir::ClientToServer;
const Dir S = Dir::ServerToClient;

const std::string kOptions =
    "OPTIONS sip:lync01.contoso.com:5061;transport=Tls SIP/2.0\r\nVIA: SIP/2.0/TLS 10.0.0.2:50001;branch=z9hG4bK1\r\n"
    "FROM: <sip:exch01.contoso.com>;tag=1\r\nTO: <sip:lync01.contoso.com>\r\nCALL-ID: c1\r\nCSEQ: 1 OPTIONS\r\n"
    "USER-AGENT: RTCC/4.0.0.0 MSExchangeUM/14.0\r\nCONTENT-LENGTH: 0\r\n\r\n";
const std::string kOk = "SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nServer: RTC/6.0\r\nContent-Length: 0\r\n\r\n";

ByteVec hex(const std::string& h) {
    ByteVec out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2)
        out.push_back(static_cast<std::byte>(std::stoi(h.substr(i, 2), nullptr, 16)));
    return out;
}

std::string hex_of(const std::vector<std::byte>& b) {
    static constexpr char d[] = "0123456789abcdef";
    std::string s;
    for (auto x : b) s += {d[std::to_integer<int>(x) >> 4], d[std::to_integer<int>(x) & 15]};
    return s;
}

struct Result {
    std::vector<std::string> lines;  // one per payload, with the direction
    std::array<std::string, 2> plain;
    std::vector<std::string> notices;
    std::vector<TlsAlert> alerts;
    std::vector<std::string> types;  // tls message types, "C:finished"
    int certificates = 0;
};

std::string line_of(Dir d, const Payload& p) {
    std::string s = d == C ? "C " : "S ";
    if (auto* m = std::get_if<TlsMessage>(&p))
        return s + "tls " + m->type + " " + m->version + (m->encrypted ? " enc " : " ") +
               std::to_string(m->length.value_or(0)) + " " + m->cipher.value_or("");
    if (auto* a = std::get_if<TlsAlert>(&p)) return s + "alert " + a->level + " " + a->description;
    if (auto* c = std::get_if<Certificate>(&p)) return s + "cert " + c->subject + " " + c->sha256;
    if (auto* n = std::get_if<Notice>(&p)) return s + "notice " + n->what + " " + n->message;
    if (auto* x = std::get_if<SipMessage>(&p)) return s + "plain " + std::string(x->raw);
    return s + "other";
}

// Decodes the wire with the key log; `cuts` are stream offsets where a feed call ends
// (empty: one call per flight; per_byte: one byte per call).
Result decode(const Session& session, const KeyLog& keys, bool per_byte = false, std::size_t cut = 0) {
    Result r;
    TlsSession tls(&keys);
    tls.set_plaintext_handler([&](Dir d, std::span<const std::byte> b, std::vector<Payload>& out) {
        r.plain[d == C ? 0 : 1].append(reinterpret_cast<const char*>(b.data()), b.size());
        SipMessage m;  // stands for the SIP parser: keeps order visible in `lines`
        m.keep({reinterpret_cast<const char*>(b.data()), b.size()}, {});  // a copy: b is the decrypter's
        out.push_back(std::move(m));
    });
    std::vector<Payload> out;
    std::size_t offset = 0;
    auto feed = [&](Dir d, std::span<const std::byte> bytes) {
        tls.feed(d, bytes, out);
        for (auto& p : out) {
            r.lines.push_back(line_of(d, p));
            if (auto* n = std::get_if<Notice>(&p)) r.notices.push_back(n->message);
            if (auto* a = std::get_if<TlsAlert>(&p)) r.alerts.push_back(*a);
            if (auto* m = std::get_if<TlsMessage>(&p)) r.types.push_back((d == C ? "C:" : "S:") + m->type);
            if (std::holds_alternative<Certificate>(p)) ++r.certificates;
        }
        out.clear();
    };
    for (const auto& chunk : session.wire) {
        std::span<const std::byte> b(chunk.bytes);
        if (per_byte) {
            for (std::size_t i = 0; i < b.size(); ++i) feed(chunk.dir, b.subspan(i, 1));
        } else if (cut > offset && cut < offset + b.size()) {
            feed(chunk.dir, b.first(cut - offset));
            feed(chunk.dir, b.subspan(cut - offset));
        } else {
            feed(chunk.dir, b);
        }
        offset += b.size();
    }
    // Lines with the SIP stand-in merged per direction run, so split feeding compares equal.
    return r;
}

KeyLog keys_of(const std::string& text) {
    KeyLog k;
    std::vector<std::string> problems;
    k.add_text(text, "test.keys", problems);
    REQUIRE(problems.empty());
    return k;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

SessionOptions dialog(int version, const std::string& cipher) {
    SessionOptions o;
    o.version = version;
    o.cipher = cipher;
    o.writes = {{C, kOptions}, {S, kOk}, {C, std::string(40000, 'x')}, {S, std::string(1, 'y')}};
    return o;
}

// No notice, both sides' application data as sent, both Finished messages opened.
void check_all_decrypted(const Session& s, const Result& r) {
    CHECK(r.notices.empty());
    CHECK(r.plain[0] == s.sent[0]);
    CHECK(r.plain[1] == s.sent[1]);
    CHECK(has(r.types, "C:finished"));
    CHECK(has(r.types, "S:finished"));
}

}  // namespace

TEST_CASE("[tls_decrypt] KDFs match the RFC test vectors", "[tls_decrypt]") {
    // RFC 8448 section 3: server handshake write key and iv from its traffic secret.
    const auto secret = hex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
    auto key = tls::hkdf_expand_label("SHA256", secret, "key", {}, 16);
    auto iv = tls::hkdf_expand_label("SHA256", secret, "iv", {}, 12);
    REQUIRE(key);
    REQUIRE(iv);
    CHECK(hex_of(*key) == "3fce516009c21727d0f2e4e86ee403bc");
    CHECK(hex_of(*iv) == "5d313eb2671276ee13000b30");
    // The TLS 1.2 PRF (SHA-256) vector published with RFC 5246's test data.
    auto prf = tls::tls12_prf("SHA256", hex("9bbe436ba940f017b17652849a71db35"), "test label",
                              hex("a0ba9f936cda311827a6f796ffd5198c"), 100);
    REQUIRE(prf);
    CHECK(hex_of(*prf) ==
          "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa0"
          "22f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66");
    CHECK_FALSE(tls::tls12_prf("NO-SUCH-DIGEST", secret, "x", {}, 16));
}

TEST_CASE("[tls_decrypt] every supported suite decrypts byte for byte", "[tls_decrypt]") {
    using Row = std::tuple<int, std::string, bool>;
    auto [version, cipher, etm] = GENERATE(table<int, std::string, bool>({
        Row{0x0304, "TLS_AES_128_GCM_SHA256", true},
        Row{0x0304, "TLS_AES_256_GCM_SHA384", true},
        Row{0x0304, "TLS_CHACHA20_POLY1305_SHA256", true},
        Row{0x0303, "ECDHE-RSA-AES128-GCM-SHA256", true},
        Row{0x0303, "ECDHE-RSA-AES256-GCM-SHA384", true},
        Row{0x0303, "ECDHE-RSA-CHACHA20-POLY1305", true},
        Row{0x0303, "AES128-GCM-SHA256", true},          // RSA key exchange
        Row{0x0303, "ECDHE-RSA-AES128-SHA", false},      // CBC, HMAC-SHA1, MAC-then-encrypt
        Row{0x0303, "ECDHE-RSA-AES128-SHA256", false},   // CBC, HMAC-SHA256
        Row{0x0303, "ECDHE-RSA-AES256-SHA384", false},   // CBC, HMAC-SHA384, PRF SHA-384
        Row{0x0303, "ECDHE-RSA-AES256-SHA384", true},    // CBC, encrypt-then-MAC
        Row{0x0303, "AES256-SHA256", true},              // RSA key exchange, CBC + ETM
        Row{0x0301, "AES128-SHA:@SECLEVEL=0", false},    // TLS 1.0: implicit IV, MD5+SHA-1 PRF
        Row{0x0301, "ECDHE-RSA-AES256-SHA:@SECLEVEL=0", true},
        Row{0x0302, "AES256-SHA:@SECLEVEL=0", false},    // TLS 1.1: explicit IV
        Row{0x0302, "ECDHE-RSA-AES128-SHA:@SECLEVEL=0", true},
    }));
    CAPTURE(version, cipher, etm);
    auto o = dialog(version, cipher);
    o.encrypt_then_mac = etm;
    o.extended_master_secret = cipher != "AES128-GCM-SHA256" && version != 0x0301;  // with and without EMS
    const Session s = run_session(o);
    const KeyLog keys = keys_of(s.keylog);
    const Result r = decode(s, keys);
    check_all_decrypted(s, r);
    CHECK_FALSE(has(r.types, "C:encrypted_handshake"));
    REQUIRE(r.alerts.size() == 1);
    CHECK(r.alerts[0].description == "close_notify");
    CHECK_FALSE(r.alerts[0].encrypted);
    CHECK(r.certificates == 2);  // lync01 + issuing CA, also in TLS 1.3
    if (version == 0x0304) CHECK(has(r.types, "S:encrypted_extensions"));
}

TEST_CASE("[tls_decrypt] at once, per byte and split give the same payloads", "[tls_decrypt]") {
    const int version = GENERATE(0x0303, 0x0304);
    auto o = dialog(version, version == 0x0304 ? "TLS_AES_128_GCM_SHA256" : "ECDHE-RSA-AES128-SHA256");
    o.encrypt_then_mac = false;
    o.writes = {{C, kOptions}, {S, kOk}};
    const Session s = run_session(o);
    const KeyLog keys = keys_of(s.keylog);
    const Result whole = decode(s, keys);
    REQUIRE(whole.plain[0] == kOptions);
    const Result bytewise = decode(s, keys, true);
    CHECK(bytewise.plain == whole.plain);
    CHECK(bytewise.types == whole.types);
    CHECK(bytewise.notices.empty());
    std::size_t mismatches = 0;
    for (std::size_t cut = 1; cut < s.wire_bytes(); cut += 3) {
        const Result split = decode(s, keys, false, cut);
        if ((split.plain != whole.plain || split.types != whole.types || !split.notices.empty()) && mismatches++ == 0) {
            CAPTURE(cut);
            CHECK(split.types == whole.types);
        }
    }
    CHECK(mismatches == 0);
}

TEST_CASE("[tls_decrypt] TLS 1.3 KeyUpdate in both directions", "[tls_decrypt]") {
    auto o = dialog(0x0304, "TLS_AES_256_GCM_SHA384");
    o.key_update_before = 2;  // the client updates and asks the server to update too
    o.writes.push_back({C, kOptions});
    o.writes.push_back({S, kOk});
    const Session s = run_session(o);
    const Result r = decode(s, keys_of(s.keylog));
    CHECK(r.notices.empty());
    CHECK(has(r.types, "C:key_update"));
    CHECK(has(r.types, "S:key_update"));
    CHECK(r.plain[0] == s.sent[0]);
    CHECK(r.plain[1] == s.sent[1]);
}

TEST_CASE("[tls_decrypt] a record that does not authenticate is reported, never passed on", "[tls_decrypt]") {
    const int version = GENERATE(0x0303, 0x0304);
    auto o = dialog(version, version == 0x0304 ? "TLS_CHACHA20_POLY1305_SHA256" : "ECDHE-RSA-AES256-GCM-SHA384");
    o.writes = {{C, kOptions}, {S, kOk}, {C, kOptions}};
    o.client_close_notify = false;  // the damaged record is the client's last
    Session s = run_session(o);
    // Flip one bit in the last byte (the tag) of the client's final application record.
    auto& last_client = [&]() -> Chunk& {
        for (auto it = s.wire.rbegin(); it != s.wire.rend(); ++it)
            if (it->dir == C && it->bytes.size() > 100) return *it;
        FAIL("no client chunk");
        return s.wire.front();
    }();
    last_client.bytes.back() ^= std::byte{0x01};
    const Result r = decode(s, keys_of(s.keylog));
    REQUIRE(r.notices.size() == 1);
    CHECK(r.notices[0].find("failed to authenticate") != std::string::npos);
    CHECK(r.notices[0].find("client->server") != std::string::npos);
    CHECK(r.plain[0] == kOptions);  // the first request only: the damaged one is not text
    CHECK(r.plain[1] == kOk);
}

TEST_CASE("[tls_decrypt] wrong or missing keys: one notice, no plaintext", "[tls_decrypt]") {
    const int version = GENERATE(0x0303, 0x0304);
    auto o = dialog(version, version == 0x0304 ? "TLS_AES_128_GCM_SHA256" : "ECDHE-RSA-AES128-GCM-SHA256");
    const Session s = run_session(o);
    SECTION("another session's key log") {
        const Session other = run_session(o);
        const Result r = decode(s, keys_of(other.keylog));
        REQUIRE(r.notices.size() == 1);
        CHECK(r.notices[0].find("no key for this TLS session in the key log (client random ") != std::string::npos);
        CHECK(r.plain[0].empty());
        CHECK(r.plain[1].empty());
    }
    SECTION("the right random with a damaged secret") {
        std::string text = s.keylog;
        for (std::size_t pos = 0; (pos = text.find('\n', pos)) != std::string::npos; ++pos) {
            char& c = text[pos - 1];  // last hex digit of every secret
            c = c == '0' ? '1' : '0';
        }
        const Result r = decode(s, keys_of(text));
        REQUIRE_FALSE(r.notices.empty());
        CHECK(r.notices[0].find("failed to authenticate") != std::string::npos);
        CHECK(r.plain[0].empty());
        CHECK(r.plain[1].empty());
    }
}

namespace {

std::string test_der_of(const std::string& pem) {
    OpenSslPtr<BIO, BIO_free> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    OpenSslPtr<EVP_PKEY, EVP_PKEY_free> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    unsigned char* der = nullptr;
    const int n = key ? i2d_PrivateKey(key.get(), &der) : 0;
    std::string out(reinterpret_cast<const char*>(der), n > 0 ? static_cast<std::size_t>(n) : 0);
    OPENSSL_free(der);
    return out;
}

// A key log holding only the server's RSA private key (as --rsa-key FILE gives it).
KeyLog rsa_keys(const std::string& pki_file) {
    KeyLog k;
    std::ifstream in(std::string(SIPTAP_PCAP_DIR) + "/tls-pki/" + pki_file, std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), {});
    REQUIRE_FALSE(data.empty());
    const auto problem = k.rsa_keys().add(std::as_bytes(std::span(data)), pki_file, "");
    CHECK_FALSE(problem);
    return k;
}

}  // namespace

TEST_CASE("[tls_decrypt] RSA key exchange decrypts with the server's private key alone", "[tls_decrypt][rsa]") {
    using Row = std::tuple<int, std::string, bool>;
    auto [version, cipher, ems] = GENERATE(table<int, std::string, bool>({
        Row{0x0303, "AES128-SHA", true},   // extended master secret: over the transcript hash
        Row{0x0303, "AES128-SHA", false},
        Row{0x0303, "AES256-GCM-SHA384", true},  // SHA-384 PRF
        Row{0x0302, "AES256-SHA:@SECLEVEL=0", true},  // MD5+SHA-1 transcript hash
        Row{0x0301, "AES128-SHA:@SECLEVEL=0", false},
    }));
    CAPTURE(version, cipher, ems);
    auto o = dialog(version, cipher);
    o.encrypt_then_mac = false;
    o.extended_master_secret = ems;
    const Session s = run_session(o);
    const KeyLog keys = rsa_keys("lync01.key");
    const Result r = decode(s, keys);
    check_all_decrypted(s, r);
    CHECK(keys.rsa_keys().unmatched().empty());
}

TEST_CASE("[tls_decrypt] a server key cannot open ECDHE, nor a session of another key", "[tls_decrypt][rsa]") {
    SECTION("ECDHE: one notice that says what can") {
        const Session s = run_session(dialog(0x0303, "ECDHE-RSA-AES128-SHA"));
        const Result r = decode(s, rsa_keys("lync01.key"));
        REQUIRE(r.notices.size() == 1);
        CHECK(r.notices[0].find("used ECDHE key exchange (TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA)") != std::string::npos);
        CHECK(r.notices[0].find("a key log (--keylog) or siptap proxy can") != std::string::npos);
        CHECK(r.plain[0].empty());
    }
    SECTION("another server's key: named as not matching, counted as unmatched") {
        const Session s = run_session(dialog(0x0303, "AES128-SHA"));
        const KeyLog keys = rsa_keys("um-good.key");
        const Result r = decode(s, keys);
        REQUIRE(r.notices.size() == 1);
        CHECK(r.notices[0].find("none of the --rsa-key keys belongs to the server's certificate") != std::string::npos);
        CHECK(r.plain[0].empty());
        CHECK(keys.rsa_keys().unmatched() == std::vector<std::string>{"um-good.key"});
        CHECK(keys.rsa_keys().certificates_seen() == 1);
    }
}

TEST_CASE("[tls_decrypt] key files: PEM, DER, PKCS#12 with its password, and what is refused", "[tls_decrypt][rsa]") {
    const auto read = [](const std::string& name) {
        std::ifstream in(std::string(SIPTAP_PCAP_DIR) + "/tls-pki/" + name, std::ios::binary);
        return std::string((std::istreambuf_iterator<char>(in)), {});
    };
    const auto add = [](const std::string& data, const std::string& password) {
        RsaKeys keys;
        return keys.add(std::as_bytes(std::span(data)), "f", password);
    };
    CHECK_FALSE(add(read("lync01.key"), ""));
    const auto der = test_der_of(read("lync01.key"));  // the same key as DER (PKCS#1)
    REQUIRE_FALSE(der.empty());
    CHECK_FALSE(add(der, ""));
    CHECK_FALSE(add(read("lync01.pfx"), "siptap-test"));
    CHECK_FALSE(add(read("lync01-legacy.pfx"), "siptap-test"));  // RC2/3DES, as older Windows exports
    const auto wrong = add(read("lync01.pfx"), "not-it");
    REQUIRE(wrong);
    CHECK(wrong->find("wrong password") != std::string::npos);
    const auto none = add(read("lync01.pfx"), "");
    REQUIRE(none);
    CHECK(none->find("needs a password") != std::string::npos);
    const auto cert = add(read("lync01.pem"), "");
    REQUIRE(cert);
    CHECK(cert->find("not a PEM or DER private key") != std::string::npos);
    CHECK(add("", ""));
}
