// SSLv2-compatible ClientHello, as old Windows clients send it, answered by a real OpenSSL
// server in-process: decoded as a client_hello (not reported as garbage), at once and byte by
// byte, followed by the server's ordinary TLS 1.0 flight; a malformed one is one notice.
#include <catch2/catch.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "decoder/base/openssl_ptr.hpp"
#include "decoder/tls/tls_session.hpp"

using namespace decoder;

namespace {

using ByteVec = std::vector<std::byte>;

// Record header (2 bytes, high bit set), CLIENT-HELLO 3.1, four cipher specs, no session id,
// a 16-byte challenge.
ByteVec sslv2_hello() {
    const std::vector<unsigned> specs = {0x00, 0x00, 0x2f, 0x00, 0x00, 0x35, 0x00, 0x00, 0xff, 0x01, 0x00, 0x80};
    std::vector<unsigned> msg = {1, 0x03, 0x01, 0, static_cast<unsigned>(specs.size()), 0, 0, 0, 16};
    msg.insert(msg.end(), specs.begin(), specs.end());
    for (unsigned i = 0; i < 16; ++i) msg.push_back(0xa0 + i);
    ByteVec out = {std::byte(0x80 | (msg.size() >> 8)), std::byte(msg.size() & 0xff)};
    for (unsigned v : msg) out.push_back(static_cast<std::byte>(v));
    return out;
}

// What an OpenSSL TLS 1.0 server with the Lync certificate answers to the hello.
ByteVec server_answer(const ByteVec& hello) {
    const std::string pki = std::string(SIPTAP_PCAP_DIR) + "/tls-pki/";
    OpenSslPtr<SSL_CTX, SSL_CTX_free> ctx(SSL_CTX_new(TLS_server_method()));
    REQUIRE(ctx);
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_VERSION);
    REQUIRE(SSL_CTX_set_cipher_list(ctx.get(), "AES128-SHA:@SECLEVEL=0") == 1);
    REQUIRE(SSL_CTX_use_certificate_chain_file(ctx.get(), (pki + "lync01.chain.pem").c_str()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey_file(ctx.get(), (pki + "lync01.key").c_str(), SSL_FILETYPE_PEM) == 1);
    OpenSslPtr<SSL, SSL_free> ssl(SSL_new(ctx.get()));
    BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl.get(), in, out);
    SSL_set_accept_state(ssl.get());
    BIO_write(in, hello.data(), static_cast<int>(hello.size()));
    SSL_do_handshake(ssl.get());  // wants the client's next flight
    ByteVec answer(static_cast<std::size_t>(BIO_ctrl_pending(out)));
    BIO_read(out, answer.data(), static_cast<int>(answer.size()));
    ERR_clear_error();
    return answer;
}

std::vector<Payload> decode(const ByteVec& client, const ByteVec& server, bool per_byte) {
    TlsSession tls;
    std::vector<Payload> out;
    if (per_byte)
        for (const auto& b : client) tls.feed(Dir::ClientToServer, std::span(&b, 1), out);
    else
        tls.feed(Dir::ClientToServer, client, out);
    tls.feed(Dir::ServerToClient, server, out);
    return out;
}

}  // namespace

TEST_CASE("[tls_sslv2] an SSLv2-compatible ClientHello is a client_hello, the server answers in TLS 1.0",
          "[tls][sslv2]") {
    const ByteVec hello = sslv2_hello();
    CHECK(looks_like_tls(std::span(hello).first(3)));
    const ByteVec answer = server_answer(hello);
    REQUIRE(answer.size() > 100);
    const bool per_byte = GENERATE(false, true);
    CAPTURE(per_byte);
    const auto out = decode(hello, answer, per_byte);
    REQUIRE(out.size() >= 3);
    const auto* ch = std::get_if<TlsMessage>(&out[0]);
    REQUIRE(ch);
    CHECK(ch->type == "client_hello");
    CHECK(ch->version == "TLS 1.0");
    CHECK(ch->ciphers == std::vector<std::string>{"TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA",
                                                  "TLS_EMPTY_RENEGOTIATION_INFO_SCSV", "SSL2_CK_0x010080"});
    const auto* sh = std::get_if<TlsMessage>(&out[1]);
    REQUIRE(sh);
    CHECK(sh->type == "server_hello");
    CHECK(sh->cipher.value_or("") == "TLS_RSA_WITH_AES_128_CBC_SHA");
    for (const auto& p : out) CHECK_FALSE(std::holds_alternative<Notice>(p));
}

TEST_CASE("[tls_sslv2] a malformed SSLv2-compatible hello is one notice, not a crash", "[tls][sslv2]") {
    ByteVec hello = sslv2_hello();
    hello[6] = std::byte{0x0d};  // cipher spec length 13: not a multiple of 3
    const auto out = decode(hello, {}, false);
    REQUIRE(out.size() == 1);
    const auto* n = std::get_if<Notice>(&out[0]);
    REQUIRE(n);
    CHECK(n->message.find("malformed SSLv2-compatible client_hello") != std::string::npos);
}
