#include "proxy/tls_hooks.hpp"

#include <algorithm>
#include <mutex>

#include "decoder/tls/tls_names.hpp"
#include "proxy/leg_recorder.hpp"

namespace proxy {

namespace {

int hooks_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

// In TLS 1.3 every alert after the ServerHello is encrypted; in TLS 1.2 those after the
// ChangeCipherSpec, which in practice means after the handshake.
bool alert_encrypted_on_wire(const SSL* ssl) {
    return SSL_version(ssl) == TLS1_3_VERSION || SSL_is_init_finished(ssl);
}

std::size_t u16(const unsigned char* b) { return static_cast<std::size_t>(b[0] << 8 | b[1]); }

// ServerHello (handshake header included) before TLS 1.3: a session id, a session_ticket
// extension? A malformed one is left to OpenSSL, which refuses it.
void read_server_hello(const unsigned char* b, std::size_t len, TlsLegHooks& hooks) {
    std::size_t at = 4 + 2 + 32;
    if (len <= at) return;
    hooks.server_gave_session_id = b[at] != 0;
    at += 1 + b[at] + 2 + 1;
    if (len < at + 2) return;
    const std::size_t end = std::min(len, at + 2 + u16(b + at));
    for (at += 2; at + 4 <= end; at += 4 + u16(b + at + 2))
        if (u16(b + at) == 35) hooks.server_will_send_ticket = true;
}

// NewSessionTicket before TLS 1.3: lifetime hint (4), ticket length (2), ticket.
void read_ticket_sent(const unsigned char* b, std::size_t len, TlsLegHooks& hooks) {
    if (len < 10 || len < 10 + u16(b + 8)) return;
    hooks.ticket_sent.assign(reinterpret_cast<const char*>(b + 10), u16(b + 8));
}

void on_message(int write_p, int, int content_type, const void* buf, size_t len, SSL* ssl, void*) {
    TlsLegHooks* hooks = hooks_of(ssl);
    if (!hooks) return;
    const auto* b = static_cast<const unsigned char*>(buf);
    if (content_type == SSL3_RT_HEADER && write_p == 0 && len > 0) hooks->last_record_read = b[0];
    if (content_type == SSL3_RT_HANDSHAKE && write_p == 0 && len > 0 && b[0] == SSL3_MT_NEWSESSION_TICKET)
        hooks->ticket_received = true;
    if (content_type == SSL3_RT_HANDSHAKE && write_p == 0 && len > 0 && b[0] == SSL3_MT_CERTIFICATE_REQUEST)
        hooks->certificate_requested = true;
    if (content_type == SSL3_RT_HANDSHAKE && write_p == 0 && len > 0 && b[0] == SSL3_MT_SERVER_HELLO)
        read_server_hello(b, len, *hooks);
    if (content_type == SSL3_RT_HANDSHAKE && write_p == 1 && len > 0 && b[0] == SSL3_MT_NEWSESSION_TICKET &&
        SSL_version(ssl) < TLS1_3_VERSION)
        read_ticket_sent(b, len, *hooks);
    if (content_type != SSL3_RT_ALERT || len != 2) return;
    const bool received = write_p == 0;
    if (received && b[1] == SSL_AD_CLOSE_NOTIFY) hooks->close_notify_received = true;
    if (received && b[0] == SSL3_AL_FATAL) hooks->fatal_alert_received = b[1];
    if (!hooks->recorder || !alert_encrypted_on_wire(ssl)) return;  // the decoder saw it in clear
    const auto dir = received ? hooks->peer_dir : decoder::reverse(hooks->peer_dir);
    hooks->recorder->payload(dir, decoder::TlsAlert{decoder::tls::alert_level_name(b[0]),
                                                    decoder::tls::alert_description_name(b[1]), false,
                                                    std::nullopt, decoder::AlertDescription{b[1]}});
}

int on_client_hello(SSL* ssl, int* alert, void*) {
    const TlsLegHooks* hooks = hooks_of(ssl);
    if (!hooks) return SSL_CLIENT_HELLO_SUCCESS;
    if (hooks->refuse_with_alert) {
        *alert = *hooks->refuse_with_alert;
        return SSL_CLIENT_HELLO_ERROR;
    }
    return hooks->client_hello ? hooks->client_hello(ssl) : SSL_CLIENT_HELLO_SUCCESS;
}

}  // namespace

void attach_hooks(SSL* ssl, TlsLegHooks* hooks) { SSL_set_ex_data(ssl, hooks_index(), hooks); }

TlsLegHooks* hooks_of(const SSL* ssl) {
    return static_cast<TlsLegHooks*>(SSL_get_ex_data(ssl, hooks_index()));
}

void install_hooks(SSL_CTX* ctx) {
    hooks_index();
    SSL_CTX_set_msg_callback(ctx, on_message);
    SSL_CTX_set_client_hello_cb(ctx, on_client_hello, nullptr);
}

}  // namespace proxy
