// TlsSession over real TLS bytes from in-process OpenSSL handshakes (see tls_fixture_support),
// fed at once, per byte and split at every offset, plus hand-made malformed input.
#include <catch2/catch.hpp>

#include <algorithm>

#include "decoder/tls_fixture_support.hpp"
#include "decoder/tls/tls_session.hpp"

using namespace decoder;
using namespace fixture;

namespace {

const std::string kOptions =
    "OPTIONS sip:lync01.contoso.com:5061;transport=tls SIP/2.0\r\n"
    "Via: SIP/2.0/TLS 10.0.0.7:5061;branch=z9hG4bK-1\r\n"
    "From: <sip:exch01.contoso.com>;tag=1\r\nTo: <sip:lync01.contoso.com>\r\n"
    "Call-ID: 1@exch01\r\nCSeq: 1 OPTIONS\r\nUSER-AGENT: RTCC/4.0.0.0 MSExchangeUM/14.0\r\n"
    "Content-Length: 0\r\n\r\n";
const std::string kOk = "SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
const std::string kCaDn = "CN=Contoso Test Root CA,O=Contoso,C=US";

// Decodes at once, per byte and split at every offset; all must agree. Returns "at once".
Decoded decode_every_way(const Transcript& t) {
    const Decoded at_once = decode(t.chunks, FeedMode::AtOnce);
    const auto expected = at_once.lines();
    REQUIRE(decode(t.chunks, FeedMode::PerByte).lines() == expected);
    std::size_t mismatches = 0;
    for (std::size_t k = 1; k < t.total_bytes(); ++k) {
        const auto lines = decode_split(t.chunks, k).lines();
        if (lines != expected && mismatches++ == 0) {
            CAPTURE(k);
            CHECK(lines == expected);
        }
    }
    CHECK(mismatches == 0);
    return at_once;
}

template <class T>
T first(const Decoded& d, Dir dir, const std::string& type) {
    for (const auto& m : d.all<TlsMessage>(dir))
        if (m.type == type) return m;
    FAIL("no " << type << " message");
    return {};
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

const Dir C = Dir::ClientToServer;
const Dir S = Dir::ServerToClient;

}  // namespace

TEST_CASE("[tls] looks_like_tls", "[tls]") {
    const ByteVec hello = {std::byte{0x16}, std::byte{0x03}, std::byte{0x01}, std::byte{0x02}};
    CHECK(looks_like_tls(hello));
    CHECK_FALSE(looks_like_tls(std::span(hello).first(2)));
    CHECK_FALSE(looks_like_tls(bytes_of("OPTIONS sip:x SIP/2.0\r\n")));
    CHECK_FALSE(looks_like_tls(ByteVec{std::byte{0x17}, std::byte{0x03}, std::byte{0x03}}));
    CHECK_FALSE(looks_like_tls(ByteVec{std::byte{0x16}, std::byte{0x03}, std::byte{0x09}}));
}

// The TLS 1.2 mutual-TLS dialog every TLS 1.2 test below looks at: decoded every way once.
const Decoded& tls12_dialog() {
    static const Decoded decoded = [] {
        HandshakeOptions o;
        o.request = kOptions;
        o.response = kOk;
        o.client_shutdown = true;
        const Transcript t = run_handshake(o);
        REQUIRE(t.client_done);
        REQUIRE(t.server_done);
        return decode_every_way(t);
    }();
    return decoded;
}

TEST_CASE("[tls] TLS 1.2 mutual TLS: every message in order, fed every way", "[tls][slow]") {
    const Decoded& d = tls12_dialog();
    CHECK(d.notices().empty());
    CHECK(d.kinds(C) == std::vector<std::string>{
                            "client_hello", "certificate", "cert:*.contoso.com",
                            "cert:Contoso Test Root CA", "client_key_exchange", "certificate_verify",
                            "change_cipher_spec", "encrypted_handshake", "application_data",
                            "alert:unknown/encrypted"});
    CHECK(d.kinds(S) == std::vector<std::string>{
                            "server_hello", "certificate", "cert:lync01.contoso.com",
                            "cert:Contoso Test Root CA", "server_key_exchange",
                            "certificate_request", "server_hello_done", "new_session_ticket",
                            "change_cipher_spec", "encrypted_handshake", "application_data"});
    CHECK(d.complete);
    CHECK(d.client_records == 1);
    CHECK(d.server_records == 1);
}

TEST_CASE("[tls] TLS 1.2 hellos and certificate request", "[tls][slow]") {
    const Decoded& d = tls12_dialog();
    const auto hello = first<TlsMessage>(d, C, "client_hello");
    CHECK(hello.version == "TLS 1.2");
    CHECK(hello.sni == "lync01.contoso.com");
    CHECK(hello.alpn == "sip");
    CHECK(hello.ciphers == std::vector<std::string>{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                                                     "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"});
    CHECK(contains(hello.signature_algorithms, "rsa_pss_rsae_sha256"));
    CHECK(contains(hello.signature_algorithms, "ecdsa_secp256r1_sha256"));
    CHECK(hello.supported_versions.empty());  // OpenSSL sends none when capped at TLS 1.2

    const auto server_hello = first<TlsMessage>(d, S, "server_hello");
    CHECK(server_hello.version == "TLS 1.2");
    CHECK(server_hello.cipher == "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");

    const auto request = first<TlsMessage>(d, S, "certificate_request");
    CHECK(request.ca_names == std::vector<std::string>{kCaDn});
    CHECK(contains(request.signature_algorithms, "rsa_pss_rsae_sha256"));
    CHECK(first<TlsMessage>(d, C, "certificate_verify").signature_algorithms ==
          std::vector<std::string>{"ecdsa_secp256r1_sha256"});
}

TEST_CASE("[tls] TLS 1.2 certificates of both sides", "[tls][slow]") {
    const Decoded& d = tls12_dialog();
    CHECK(first<TlsMessage>(d, S, "certificate").certificate_count == 2);
    CHECK(first<TlsMessage>(d, C, "certificate").certificate_count == 2);
    const auto client_certs = d.all<Certificate>(C);
    REQUIRE(client_certs.size() == 2);
    CHECK(client_certs[0].side == Side::Client);
    CHECK(client_certs[0].index == 0);
    CHECK(client_certs[0].subject == "CN=*.contoso.com,OU=Exchange UM Zürich,O=Contoso,C=US");
    CHECK(client_certs[0].wildcard_cn);
    CHECK_FALSE(client_certs[0].self_signed);
    CHECK(client_certs[0].sha256 == sha256_fingerprint(pki().wildcard.cert.get()));
    CHECK(client_certs[1].index == 1);
    CHECK(client_certs[1].self_signed);
    const auto server_certs = d.all<Certificate>(S);
    REQUIRE(server_certs.size() == 2);
    CHECK(server_certs[0].side == Side::Server);
    CHECK(server_certs[0].subject_cn == "lync01.contoso.com");
    CHECK_FALSE(server_certs[0].wildcard_cn);
    CHECK(server_certs[0].key == "RSA-2048");
    CHECK(server_certs[0].sha256 == sha256_fingerprint(pki().lync.cert.get()));
}

TEST_CASE("[tls] TLS 1.2 encrypted Finished, application data and close_notify", "[tls][slow]") {
    const Decoded& d = tls12_dialog();
    for (Dir dir : {C, S}) {
        const auto finished = first<TlsMessage>(d, dir, "encrypted_handshake");
        CHECK(finished.encrypted);
        CHECK(finished.length == 40);  // AES-GCM: 8 nonce + 16 Finished + 16 tag
    }
    // AES-256-GCM records: 8-byte explicit nonce + plaintext + 16-byte tag.
    CHECK(first<TlsMessage>(d, C, "application_data").length == kOptions.size() + 24);
    CHECK(first<TlsMessage>(d, S, "application_data").length == kOk.size() + 24);
    CHECK(first<TlsMessage>(d, S, "application_data").encrypted);
    const auto alerts = d.all<TlsAlert>(C);
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].encrypted);
    CHECK(alerts[0].level == "unknown");
    CHECK(alerts[0].description == "encrypted");
}

TEST_CASE("[tls] TLS 1.2 handshake_complete needs both Finished", "[tls]") {
    HandshakeOptions o;
    const Transcript t = run_handshake(o);
    REQUIRE(t.chunks.size() >= 4);
    // Without the server's last flight (its CCS + Finished) the handshake is not complete.
    const std::vector<Chunk> partial(t.chunks.begin(), t.chunks.end() - 1);
    REQUIRE(partial.back().dir == C);
    CHECK_FALSE(decode(partial, FeedMode::AtOnce).complete);
    CHECK(decode(t.chunks, FeedMode::AtOnce).complete);
}

TEST_CASE("[tls] TLS 1.2 renegotiation: the second ChangeCipherSpec is encrypted, not malformed", "[tls][slow]") {
    // OpenSSL's server renegotiates after the request (HelloRequest); the new handshake and
    // both sides' second ChangeCipherSpec travel under the first handshake's keys.
    HandshakeOptions o;
    o.request = kOptions;
    o.server_renegotiates = true;
    o.response = kOk;
    const Transcript t = run_handshake(o);
    REQUIRE(t.client_done);
    REQUIRE(t.server_done);
    std::size_t plain_ccs = 0;  // what each side sent: two ChangeCipherSpec each
    for (const auto& m : t.plain) plain_ccs += m.content_type == 20;
    REQUIRE(plain_ccs == 4);
    const Decoded d = decode_every_way(t);
    CHECK(d.notices().empty());
    CHECK(d.complete);
    for (const Dir dir : {Dir::ClientToServer, Dir::ServerToClient}) {
        CAPTURE(dir == Dir::ClientToServer);
        std::vector<bool> ccs_encrypted;
        for (const auto& m : d.all<TlsMessage>(dir))
            if (m.type == "change_cipher_spec") ccs_encrypted.push_back(m.encrypted);
        CHECK(ccs_encrypted == std::vector<bool>{false, true});
    }
    // The response after the renegotiation is still one application data record.
    CHECK(d.all<TlsMessage>(Dir::ServerToClient).back().type == "application_data");
}

TEST_CASE("[tls] TLS 1.2 server rejects the client certificate with a plaintext alert", "[tls][slow]") {
    HandshakeOptions o;
    o.server_rejects = true;
    const Transcript t = run_handshake(o);
    REQUIRE_FALSE(t.server_done);
    const Decoded d = decode_every_way(t);
    const auto alerts = d.all<TlsAlert>(S);
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].level == "fatal");
    CHECK(alerts[0].description == "unknown_ca");
    CHECK_FALSE(alerts[0].encrypted);
    CHECK(d.kinds(S).back() == "alert:fatal/unknown_ca");
    CHECK_FALSE(d.complete);
}

TEST_CASE("[tls] TLS 1.2 client without a certificate", "[tls][slow]") {
    HandshakeOptions o;
    o.client_cert = false;
    const Transcript t = run_handshake(o);
    const Decoded d = decode_every_way(t);
    CHECK(first<TlsMessage>(d, C, "certificate").certificate_count == 0);
    CHECK(d.all<Certificate>(C).empty());
    CHECK(d.kinds(S).back() == "alert:fatal/handshake_failure");
    CHECK_FALSE(d.complete);
}

TEST_CASE("[tls] TLS 1.3 mutual TLS: hellos in the clear, then encrypted records only", "[tls]") {
    HandshakeOptions o;
    o.version = TLS1_3_VERSION;
    o.request = kOptions;
    o.response = kOk;
    const Transcript t = run_handshake(o);
    REQUIRE(t.client_done);
    REQUIRE(t.server_done);
    const Decoded d = decode_every_way(t);
    CHECK(d.notices().empty());
    const auto hello = first<TlsMessage>(d, C, "client_hello");
    CHECK(hello.version == "TLS 1.3");
    CHECK(hello.supported_versions == std::vector<std::string>{"TLS 1.3"});
    CHECK(hello.sni == "lync01.contoso.com");
    CHECK(contains(hello.ciphers, "TLS_AES_256_GCM_SHA384"));
    const auto server_hello = first<TlsMessage>(d, S, "server_hello");
    CHECK(server_hello.version == "TLS 1.3");
    CHECK(server_hello.cipher == "TLS_AES_256_GCM_SHA384");

    for (Dir dir : {C, S}) {
        auto kinds = d.kinds(dir);
        REQUIRE(kinds.size() >= 3);
        CHECK(kinds[0] == (dir == C ? "client_hello" : "server_hello"));
        CHECK(kinds[1] == "change_cipher_spec");  // middlebox compatibility
        for (std::size_t i = 2; i < kinds.size(); ++i) CHECK(kinds[i] == "application_data");
    }
    CHECK(d.all<Certificate>(C).empty());
    CHECK(d.all<Certificate>(S).empty());
    for (const auto& m : d.all<TlsMessage>(S))
        if (m.type == "application_data") CHECK((m.encrypted && m.version == "TLS 1.3"));
    CHECK(d.complete);
    // The last client record is the OPTIONS: plaintext + 1 content type byte + 16-byte tag.
    CHECK(d.all<TlsMessage>(C).back().length == kOptions.size() + 17);
}

TEST_CASE("[tls] TLS 1.3 server rejects the client: its alert looks like application data", "[tls]") {
    HandshakeOptions o;
    o.version = TLS1_3_VERSION;
    o.server_rejects = true;
    o.request = kOptions;
    const Transcript t = run_handshake(o);
    REQUIRE(t.client_done);  // the client finishes first and sends its request anyway
    REQUIRE_FALSE(t.server_done);
    const Decoded d = decode_every_way(t);
    CHECK(d.all<TlsAlert>(S).empty());
    CHECK(d.kinds(S).back() == "application_data");
    CHECK(d.all<TlsMessage>(C).back().length == kOptions.size() + 17);
    REQUIRE(t.chunks.back().dir == C);  // the request went out after the server's alert
}

TEST_CASE("[tls] TLS 1.3 handshake messages as a decrypting relay feeds them", "[tls]") {
    HandshakeOptions o;
    o.version = TLS1_3_VERSION;
    o.client_shutdown = true;
    const Transcript t = run_handshake(o);
    const auto chunks = as_records(t.plain);
    const Decoded d = decode(chunks, FeedMode::AtOnce);
    REQUIRE(decode(chunks, FeedMode::PerByte).lines() == d.lines());
    CHECK(d.kinds(S) == std::vector<std::string>{
                            "server_hello", "change_cipher_spec", "encrypted_extensions",
                            "certificate_request", "certificate", "cert:lync01.contoso.com",
                            "cert:Contoso Test Root CA", "certificate_verify", "finished",
                            "new_session_ticket", "new_session_ticket"});
    CHECK(d.kinds(C) == std::vector<std::string>{
                            "client_hello", "change_cipher_spec", "certificate", "cert:*.contoso.com",
                            "cert:Contoso Test Root CA", "certificate_verify", "finished",
                            "alert:warning/close_notify"});
    const auto request = first<TlsMessage>(d, S, "certificate_request");
    CHECK(request.version == "TLS 1.3");
    CHECK(request.ca_names == std::vector<std::string>{kCaDn});
    CHECK(contains(request.signature_algorithms, "rsa_pss_rsae_sha256"));
    CHECK(first<TlsMessage>(d, C, "certificate").certificate_count == 2);
    CHECK(d.all<Certificate>(C).at(0).wildcard_cn);
    CHECK(first<TlsMessage>(d, S, "certificate_verify").signature_algorithms ==
          std::vector<std::string>{"rsa_pss_rsae_sha256"});
}

TEST_CASE("[tls] TLS 1.3 client without a certificate, as the relay sees it", "[tls]") {
    HandshakeOptions o;
    o.version = TLS1_3_VERSION;
    o.client_cert = false;
    const Transcript t = run_handshake(o);
    const Decoded d = decode(as_records(t.plain), FeedMode::AtOnce);
    CHECK(first<TlsMessage>(d, C, "certificate").certificate_count == 0);
    CHECK(d.kinds(S).back() == "alert:fatal/certificate_required");
    // On the wire the same alert is encrypted: application data, no alert decoded.
    const Decoded wire = decode(t.chunks, FeedMode::AtOnce);
    CHECK(wire.all<TlsAlert>(S).empty());
    CHECK(wire.kinds(S).back() == "application_data");
}

namespace {

Decoded feed_server(const ByteVec& bytes, FeedMode mode = FeedMode::AtOnce) {
    return decode({Chunk{S, bytes}}, mode);
}

}  // namespace

TEST_CASE("[tls] malformed input gives one notice and stops that direction", "[tls]") {
    const ByteVec der = der_of(pki().lync.cert.get());
    const ByteVec truncated_entry = cat({u24_vec(cat({raw({0, 0x10, 0}), ByteVec(der.begin(), der.begin() + 100)}))});
    auto [name, input, expected] = GENERATE_REF(table<std::string, ByteVec, std::string>({
        {"garbage", bytes_of("GET / HTTP/1.1\r\n\r\n"), "not a TLS record: content type 0x47"},
        {"record over the cap", raw({0x16, 3, 3, 0x48, 0x01}), "TLS record of 18433 bytes exceeds the cap of 18432"},
        {"handshake cut by CCS", cat({record(22, raw({1, 0, 0, 32, 3, 3, 0, 0, 0, 0})), record(20, raw({1}))}),
         "handshake message interrupted by a change_cipher_spec record"},
        {"handshake length vs body", hs_record(1, cat({raw({3, 3}), ByteVec(32), raw({32})})),
         "malformed client_hello: session_id"},
        {"handshake over 64 KiB", record(22, raw({11, 1, 0, 1})), "handshake message of 65537 bytes exceeds the cap of 65536"},
        {"truncated certificate entry", hs_record(11, truncated_entry), "malformed certificate: certificate entry truncated"},
        {"certificate list longer than message", hs_record(11, raw({0, 3, 0xE8, 0, 0})), "certificate_list length"},
        {"unknown handshake type", hs_record(99, raw({})), "unknown handshake message type 99"},
        {"empty alert", record(21, raw({})), "empty alert record"},
        {"odd alert", record(21, raw({2, 40, 1})), "malformed alert record of 3 bytes"},
        {"bad change_cipher_spec", record(20, raw({2})), "malformed change_cipher_spec record"},
    }));
    CAPTURE(name);
    // Whatever follows in that direction is ignored: the stream is no longer in sync.
    const ByteVec bytes = cat({input, server_hello_record(0x0303, 0xC030, {})});
    const Decoded d = feed_server(bytes);
    CHECK(feed_server(bytes, FeedMode::PerByte).lines() == d.lines());
    const auto found = d.notices();
    REQUIRE(found.size() == 1);
    CHECK(found[0].what == "tls-error");
    CHECK_THAT(found[0].message, Catch::Contains(expected) && Catch::Contains("server->client"));
    CHECK(d.kinds(S).back() == "notice");
    CHECK(d.all<TlsMessage>(S).empty());
    // The other direction is not affected.
    std::vector<Payload> out;
    TlsSession session;
    session.feed(S, bytes, out);
    out.clear();
    session.feed(C, record(21, raw({2, 48})), out);
    REQUIRE(out.size() == 1);
    CHECK(std::get<TlsAlert>(out[0]).description == "unknown_ca");
}

TEST_CASE("[tls] a broken certificate is reported and the next one still decoded", "[tls]") {
    const ByteVec der = der_of(pki().expired.cert.get());
    const ByteVec list = cat({u24_vec(raw({0x30, 0x03, 1, 2, 3})), u24_vec(der)});
    const Decoded d = decode({Chunk{C, hs_record(11, u24_vec(list))}}, FeedMode::PerByte);
    CHECK(d.kinds(C) == std::vector<std::string>{"certificate", "notice", "cert:expired.contoso.com"});
    CHECK(first<TlsMessage>(d, C, "certificate").certificate_count == 2);
    CHECK_THAT(d.notices().at(0).message, Catch::Contains("client certificate 0"));
    CHECK(d.all<Certificate>(C).at(0).index == 1);
}

TEST_CASE("[tls] record and handshake size limits, gaps", "[tls]") {
    TlsSession session;
    std::vector<Payload> out;
    session.feed(S, raw({23, 3, 3, 0x48, 0x00}), out);  // exactly at the cap: waits for the body
    CHECK(out.empty());
    session.feed(S, ByteVec(0x4800), out);
    REQUIRE(out.size() == 1);
    CHECK(std::get<TlsMessage>(out[0]).length == 0x4800);
    CHECK(session.application_records(S) == 1);
    out.clear();
    session.gap(S);
    session.feed(S, record(23, raw({1, 2, 3})), out);
    CHECK(out.empty());  // stopped silently: the connection reports the gap
    session.feed(C, record(23, raw({1, 2, 3})), out);
    CHECK(out.size() == 1);
}

TEST_CASE("[tls] older and newer versions from hand-made hellos", "[tls]") {
    const ByteVec ca_dn = [] {
        unsigned char* buf = nullptr;
        const int n = i2d_X509_NAME(X509_get_subject_name(pki().ca.cert.get()), &buf);
        ByteVec out(reinterpret_cast<std::byte*>(buf), reinterpret_cast<std::byte*>(buf) + n);
        OPENSSL_free(buf);
        return out;
    }();
    SECTION("SSL 3.0 / TLS 1.0: no extensions, CertificateRequest without signature algorithms") {
        for (int version : {0x0300, 0x0301}) {
            const ByteVec request = hs_record(13, cat({raw({1, 1}), u16_vec(u16_vec(ca_dn))}));
            const Decoded d = feed_server(cat({server_hello_record(version, 0x000A, {}), request}));
            CHECK(d.kinds(S) == std::vector<std::string>{"server_hello", "certificate_request"});
            const auto hello = first<TlsMessage>(d, S, "server_hello");
            CHECK(hello.version == (version == 0x0300 ? "SSL 3.0" : "TLS 1.0"));
            CHECK(hello.cipher == "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
            CHECK(first<TlsMessage>(d, S, "certificate_request").ca_names == std::vector<std::string>{kCaDn});
        }
    }
    SECTION("TLS 1.3 HelloRetryRequest keeps the handshake in the clear") {
        const ByteVec sv = raw({0, 43, 0, 2, 3, 4});
        const Decoded d = feed_server(cat({server_hello_record(0x0303, 0x1301, sv, true), server_hello_record(0x0303, 0x1301, sv),
                                           record(21, raw({1, 0}))}));
        CHECK(d.kinds(S) == std::vector<std::string>{"hello_retry_request", "server_hello",
                                                     "alert:warning/close_notify"});
        CHECK(first<TlsMessage>(d, S, "server_hello").cipher == "TLS_AES_128_GCM_SHA256");
        CHECK(first<TlsMessage>(d, S, "server_hello").version == "TLS 1.3");
    }
    SECTION("unknown cipher suites are shown by number") {
        const Decoded d = feed_server(server_hello_record(0x0303, 0x1234, {}));
        CHECK(first<TlsMessage>(d, S, "server_hello").cipher == "0x1234");
    }
}
