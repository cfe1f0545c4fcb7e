#include "proxy/tls_contexts.hpp"

#include "proxy/key_log.hpp"
#include "proxy/leg_recorder.hpp"
#include "proxy/tls_hooks.hpp"

namespace proxy {

namespace ssl = boost::asio::ssl;

namespace {

int keylog_index() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

void on_keylog_line(const SSL* ssl, const char* line) {
    if (auto* log = static_cast<KeyLog*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), keylog_index())))
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

void common_setup(SSL_CTX* ctx, KeyLog* keylog) {
    install_hooks(ctx);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_ex_data(ctx, keylog_index(), keylog);
    SSL_CTX_set_keylog_callback(ctx, on_keylog_line);
}

}  // namespace

std::unique_ptr<ssl::context> make_client_facing_context(const Identity* id, KeyLog* keylog) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    SSL_CTX* native = ctx->native_handle();
    common_setup(native, keylog);
    SSL_CTX_set_num_tickets(native, 0);
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_cert_verify_callback(native, accept_any_chain, nullptr);
    if (id) use_identity(native, *id);
    return ctx;
}

std::unique_ptr<ssl::context> make_upstream_context(const Identity* id, KeyLog* keylog) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    SSL_CTX* native = ctx->native_handle();
    common_setup(native, keylog);
    SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
    if (id) use_identity(native, *id);
    return ctx;
}

}  // namespace proxy
