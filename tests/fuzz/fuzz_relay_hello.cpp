// The relay's inspection of a peer's handshake (proxy/tls_hooks.cpp): arbitrary bytes as what
// a client sends to siptap's client-facing leg (its ClientHello and what follows) or what an
// upstream answers siptap's ClientHello with, through OpenSSL with siptap's message and
// client hello callbacks installed. Input: a mode byte (bit 0: siptap is the client of an
// upstream; bit 1: the client-facing leg refuses the ClientHello with alert byte 2), then
// the alert byte, then the peer's bytes. OpenSSL itself is not instrumented: coverage is
// siptap's callbacks; ASan still checks every byte OpenSSL hands them.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string>

#include "proxy/tls_hooks.hpp"

namespace {

SSL_CTX* make_context(bool server) {
    SSL_CTX* ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    const std::string pki = std::string(SIPTAP_PCAP_DIR) + "/tls-pki/";
    if (server && (SSL_CTX_use_certificate_chain_file(ctx, (pki + "lync01.chain.pem").c_str()) != 1 ||
                   SSL_CTX_use_PrivateKey_file(ctx, (pki + "lync01.key").c_str(), SSL_FILETYPE_PEM) != 1))
        std::abort();  // the committed PKI is missing: nothing here would be tested
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    proxy::install_hooks(ctx);
    return ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static SSL_CTX* const server_ctx = make_context(true);
    static SSL_CTX* const client_ctx = make_context(false);
    if (size < 2) return 0;
    const bool upstream = data[0] & 1;
    proxy::TlsLegHooks hooks;
    hooks.peer_dir = upstream ? decoder::Dir::ServerToClient : decoder::Dir::ClientToServer;
    if (!upstream && (data[0] & 2)) hooks.refuse_with_alert = data[1];

    SSL* ssl = SSL_new(upstream ? client_ctx : server_ctx);
    BIO* in = BIO_new(BIO_s_mem());
    BIO* out = BIO_new(BIO_s_mem());
    BIO_write(in, data + 2, static_cast<int>(size - 2));
    BIO_set_mem_eof_return(in, -1);  // no more bytes: "retry", as a socket with nothing to read
    SSL_set_bio(ssl, in, out);
    proxy::attach_hooks(ssl, &hooks);
    if (upstream) SSL_set_connect_state(ssl); else SSL_set_accept_state(ssl);
    for (int round = 0; round < 4 && SSL_do_handshake(ssl) != 1; ++round) {
        const int error = SSL_get_error(ssl, 0);
        if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) break;
    }
    (void)proxy::hooks_of(ssl);
    SSL_free(ssl);
    ERR_clear_error();
    return 0;
}
