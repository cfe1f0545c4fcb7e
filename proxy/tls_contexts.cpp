#include "proxy/tls_contexts.hpp"

#include <openssl/err.h>
#include <stdexcept>

#include "decoder/tls/openssl_legacy.hpp"
#include "proxy/key_log_writer.hpp"
#include "proxy/leg_recorder.hpp"
#include "proxy/resumption_mirror.hpp"
#include "proxy/tls_hooks.hpp"

namespace proxy {

namespace ssl = boost::asio::ssl;

namespace {

int keylog_index() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

void on_keylog_line(const SSL* ssl, const char* line) {
    if (auto* log = static_cast<KeyLogWriter*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), keylog_index())))
        log->write(line);
    if (const TlsLegHooks* hooks = hooks_of(ssl); hooks && hooks->recorder) hooks->recorder->secret(line);
}

// The client's certificate is recorded, never judged here: the upstream judges it (with
// forged certificates, while the client's handshake waits in this callback).
int accept_any_chain(X509_STORE_CTX* store, void*) {
    auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    const TlsLegHooks* hooks = ssl ? hooks_of(ssl) : nullptr;
    return hooks && hooks->verify_client_chain ? hooks->verify_client_chain(store) : 1;
}

// The relay must never be the one that refuses (the fidelity rule in SPEC.md): its own limits
// are OpenSSL's widest, and each connection is narrowed to what its client offered (see
// client_hello_mirror.hpp), so modern peers still negotiate what they would directly.
// Security level 0 admits TLS 1.0/1.1, SHA-1 and MD5 signatures, RSA keys under 2048 bits and
// CBC/3DES suites; the legacy provider adds what OpenSSL 3 moved there (single DES, RC4...),
// where it is installed.
void widest_limits(SSL_CTX* ctx) {
    decoder::load_legacy_provider();
    SSL_CTX_set_security_level(ctx, 0);
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) != 1 || SSL_CTX_set_max_proto_version(ctx, 0) != 1 ||
        SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0") != 1)
        throw std::runtime_error("cannot set the relay's TLS limits: " + drain_openssl_errors());
    // OpenSSL 3 clients refuse servers without secure renegotiation (RFC 5746); older clients
    // do not, so neither does the relay's upstream leg.
    SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT);
}

void common_setup(SSL_CTX* ctx, KeyLogWriter* keylog) {
    widest_limits(ctx);
    // Renegotiation is refused on both legs, as a peer that does not renegotiate refuses it: a
    // no_renegotiation warning alert; the asking peer decides what follows (an OpenSSL server
    // ends the connection with handshake_failure). Never answered by the relay alone, which
    // would show the upstream a renegotiation the client took no part in (README, proxy).
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    install_hooks(ctx);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_ex_data(ctx, keylog_index(), keylog);
    SSL_CTX_set_keylog_callback(ctx, on_keylog_line);
}

}  // namespace

std::unique_ptr<ssl::context> make_client_facing_context(const Identity* id, KeyLogWriter* keylog) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    SSL_CTX* native = ctx->native_handle();
    common_setup(native, keylog);
    // A TLS 1.2 client's session is resumed only along with the upstream's (see
    // resumption_mirror.hpp). No TLS 1.3 tickets: their resumption is not mirrored, and a
    // client that has none runs a full handshake, which the upstream leg then runs too. The id
    // context is what OpenSSL needs to look up a session id ("session id context
    // uninitialized" otherwise).
    SSL_CTX_set_num_tickets(native, 0);
    install_resumption_callbacks(native, kResumptionLifetime);
    static const unsigned char kSessionContext[] = "siptap";
    SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_cert_verify_callback(native, accept_any_chain, nullptr);
    if (id) use_identity(native, *id);
    return ctx;
}

std::unique_ptr<ssl::context> make_upstream_context(const Identity* id, KeyLogWriter* keylog) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    SSL_CTX* native = ctx->native_handle();
    common_setup(native, keylog);
    SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
    if (id) use_identity(native, *id);
    return ctx;
}

}  // namespace proxy
