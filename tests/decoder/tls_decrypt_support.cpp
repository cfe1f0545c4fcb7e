#include "decoder/tls_decrypt_support.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <memory>

#include "decoder/base/openssl_ptr.hpp"
#include <stdexcept>

namespace decrypt_fixture {

namespace {

using CtxPtr = decoder::OpenSslPtr<SSL_CTX, SSL_CTX_free>;
using SslPtr = decoder::OpenSslPtr<SSL, SSL_free>;

std::string pki(const char* name) { return std::string(SIPTAP_PCAP_DIR) + "/tls-pki/" + name; }

void keylog_line(const SSL* ssl, const char* line) {
    auto* out = static_cast<std::string*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
    *out += line;
    *out += '\n';
}

CtxPtr make_ctx(bool server, const SessionOptions& o, std::string* keylog) {
    CtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
    if (!ctx) throw std::runtime_error("SSL_CTX_new failed");
    SSL_CTX_set_min_proto_version(ctx.get(), o.version);
    SSL_CTX_set_max_proto_version(ctx.get(), o.version);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
    if (!o.encrypt_then_mac) SSL_CTX_set_options(ctx.get(), SSL_OP_NO_ENCRYPT_THEN_MAC);
    if (!o.extended_master_secret) SSL_CTX_set_options(ctx.get(), SSL_OP_NO_EXTENDED_MASTER_SECRET);
    const bool ok = o.cipher.empty() ||
                    (o.version == TLS1_3_VERSION ? SSL_CTX_set_ciphersuites(ctx.get(), o.cipher.c_str())
                                                 : SSL_CTX_set_cipher_list(ctx.get(), o.cipher.c_str())) == 1;
    if (!ok) throw std::runtime_error("cipher not accepted: " + o.cipher);
    if (server &&
        (SSL_CTX_use_certificate_chain_file(ctx.get(), pki("lync01.chain.pem").c_str()) != 1 ||
         SSL_CTX_use_PrivateKey_file(ctx.get(), pki("lync01.key").c_str(), SSL_FILETYPE_PEM) != 1))
        throw std::runtime_error("cannot load pcaps/tls-pki/lync01");
    if (keylog) {
        SSL_CTX_set_app_data(ctx.get(), keylog);
        SSL_CTX_set_keylog_callback(ctx.get(), keylog_line);
    }
    return ctx;
}

// Moves what `from` wrote to `to`, recording it; true when anything moved.
bool pump(BIO* from, BIO* to, Dir dir, Session& s) {
    bool moved = false;
    char buf[16384];
    for (int n; (n = BIO_read(from, buf, sizeof buf)) > 0;) {
        const auto* b = reinterpret_cast<const std::byte*>(buf);
        if (s.wire.empty() || s.wire.back().dir != dir) s.wire.push_back({dir, {}});
        s.wire.back().bytes.insert(s.wire.back().bytes.end(), b, b + n);
        BIO_write(to, buf, n);
        moved = true;
    }
    return moved;
}

}  // namespace

std::size_t Session::wire_bytes() const {
    std::size_t n = 0;
    for (const auto& c : wire) n += c.bytes.size();
    return n;
}

Session run_session(const SessionOptions& o) {
    Session s;
    CtxPtr cctx = make_ctx(false, o, &s.keylog), sctx = make_ctx(true, o, nullptr);
    SslPtr c(SSL_new(cctx.get())), srv(SSL_new(sctx.get()));
    BIO *c_in = BIO_new(BIO_s_mem()), *c_out = BIO_new(BIO_s_mem());
    BIO *s_in = BIO_new(BIO_s_mem()), *s_out = BIO_new(BIO_s_mem());
    SSL_set_bio(c.get(), c_in, c_out);
    SSL_set_bio(srv.get(), s_in, s_out);
    SSL_set_connect_state(c.get());
    SSL_set_accept_state(srv.get());
    SSL_set_tlsext_host_name(c.get(), "lync01.contoso.com");
    bool c_done = false, s_done = false;
    for (int round = 0; round < 20 && !(c_done && s_done); ++round) {
        if (!c_done) c_done = SSL_do_handshake(c.get()) == 1;
        pump(c_out, s_in, Dir::ClientToServer, s);
        if (!s_done) s_done = SSL_do_handshake(srv.get()) == 1;
        pump(s_out, c_in, Dir::ServerToClient, s);
    }
    s.handshake_done = c_done && s_done;
    if (!s.handshake_done) throw std::runtime_error("handshake failed");
    std::vector<char> sink(1 << 16);
    for (std::size_t i = 0; i < o.writes.size(); ++i) {
        const auto& [dir, text] = o.writes[i];
        if (static_cast<int>(i) == o.key_update_before) SSL_key_update(c.get(), SSL_KEY_UPDATE_REQUESTED);
        const bool client = dir == Dir::ClientToServer;
        SSL* writer = client ? c.get() : srv.get();
        SSL* reader = client ? srv.get() : c.get();
        if (SSL_write(writer, text.data(), static_cast<int>(text.size())) != static_cast<int>(text.size()))
            throw std::runtime_error("SSL_write failed");
        s.sent[client ? 0 : 1] += text;
        pump(client ? c_out : s_out, client ? s_in : c_in, dir, s);
        while (SSL_read(reader, sink.data(), static_cast<int>(sink.size())) > 0) {
        }
        // The reader may answer (a KeyUpdate it was asked for goes out with its next write).
        pump(client ? s_out : c_out, client ? c_in : s_in, client ? Dir::ServerToClient : Dir::ClientToServer, s);
    }
    if (o.client_close_notify) {
        SSL_shutdown(c.get());
        pump(c_out, s_in, Dir::ClientToServer, s);
    }
    ERR_clear_error();
    return s;
}

}  // namespace decrypt_fixture
