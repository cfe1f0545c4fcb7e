// What the relay learns from inside OpenSSL about one TLS leg: alerts sent and received
// (with their names, also when they were encrypted on the wire) and the alert with which the
// client-facing handshake must fail to mirror an upstream refusal. Attached per SSL object.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <openssl/ssl.h>

#include "decoder/model/events.hpp"

namespace proxy {

class LegRecorder;

struct TlsLegHooks {
    LegRecorder* recorder = nullptr;
    decoder::Dir peer_dir = decoder::Dir::ClientToServer;  // direction of the peer's bytes
    bool close_notify_received = false;
    std::optional<std::uint8_t> fatal_alert_received;  // alert description code
    bool ticket_received = false;  // a NewSessionTicket: a TLS 1.3 server accepted our Finished
    bool certificate_requested = false;  // the peer (a server) sent a CertificateRequest
    // Outer content type of the last record read: in TLS 1.3, alert means an alert in clear
    // (one refusing the server's certificate), application_data an encrypted record.
    std::uint8_t last_record_read = 0;
    // Client-facing leg: refuse the ClientHello with this alert (upstream refused us).
    std::optional<std::uint8_t> refuse_with_alert;
    // Client-facing leg: sees the ClientHello first and returns SSL_CLIENT_HELLO_RETRY to hold
    // the handshake there (the upstream is asked meanwhile), SUCCESS to go on. Unset: go on.
    std::function<int(SSL*)> client_hello;
    // Upstream leg, from its ServerHello (before TLS 1.3): the upstream gave a session id, and
    // it will send a ticket (the session_ticket extension). See resumption_mirror.hpp.
    bool server_gave_session_id = false, server_will_send_ticket = false;
    // Client-facing leg, before TLS 1.3: the ticket of the NewSessionTicket the relay sent.
    std::string ticket_sent;
    // Client-facing leg: what OpenSSL's session callbacks may answer (resumption_mirror.hpp).
    // The client's session may be resumed only when the upstream resumed the matching one.
    bool may_resume = false;
    std::shared_ptr<SSL_SESSION> resumable;  // for a session id lookup
    bool renew_ticket = false;               // the upstream renewed its ticket: so does the relay
    bool issue_no_session = false;           // the upstream gave neither a session id nor a ticket
    // Client-facing leg with forged certificates: judges the client's chain (1 accept, 0
    // refuse with the X509 error set on the store context). Unset: any chain is accepted.
    std::function<int(X509_STORE_CTX*)> verify_client_chain;
};

// Stores `hooks` in the SSL object; the callbacks installed by install_hooks find it there.
void attach_hooks(SSL* ssl, TlsLegHooks* hooks);
TlsLegHooks* hooks_of(const SSL* ssl);

// Message callback (alerts) and client hello callback (refuse_with_alert) on a context.
void install_hooks(SSL_CTX* ctx);

}  // namespace proxy
