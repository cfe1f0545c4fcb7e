// TLS 1.2 session resumption through the relay: a client that resumes the session the relay
// gave it resumes, on its upstream leg, the session the relay got from the upstream on that
// earlier connection, so the upstream sees an abbreviated handshake just as it would
// directly; and the client's leg is resumed only if the upstream's was, so both legs run the
// same kind of handshake (a full one on both when the upstream declines).
//
// Keyed by what the client offers in its ClientHello: the session id (Windows Schannel resumes
// by session id) or the bytes of the session_ticket extension (the ticket the relay sent,
// seen by the message callback). Why not OpenSSL's ticket app data: the upstream's session
// must be chosen while the client's handshake is held in the ClientHello callback, before
// OpenSSL decrypts the client's ticket, so app data stored in the ticket would come too late;
// the offered bytes are there at once and serve session ids and tickets alike. The key also
// holds the upstream's address and the client's SNI, so no session is offered to an upstream
// (or a name) it did not come from.
//
// The relay also gives the client what the upstream gave the relay: a ticket only if the
// upstream sent one, a session id only if the upstream gave one, nothing resumable otherwise.
// Not mirrored: TLS 1.3 resumption (PSK). The relay issues no TLS 1.3 tickets, so a TLS 1.3
// client runs a full handshake through the relay even where the upstream would resume it.
#pragma once

#include <optional>
#include <string>

#include "proxy/client_hello_mirror.hpp"
#include "proxy/resumption_cache.hpp"

namespace proxy {

struct TlsLegHooks;

// Session id lookup and ticket decision of the client-facing context, answered from the
// leg's TlsLegHooks; the context's sessions live as long as the cache's entries.
void install_resumption_callbacks(SSL_CTX* client_facing, std::chrono::seconds lifetime);

// One relayed connection's part in it.
class ResumptionMirror {
public:
    // `cache` null: no resumption. `upstream`: the address the upstream leg is connected to.
    ResumptionMirror(ResumptionCache* cache, std::string upstream);

    // In the client leg's ClientHello callback: what the client offers to resume.
    void read_offer(SSL* client, const MirroredHello& hello);
    // Before the upstream's handshake: offer the session that matches the client's offer.
    void offer_upstream(SSL* upstream);
    // The upstream has sent its ServerHello; the client's handshake has not gone on yet. Lets
    // the client's session be resumed only if the upstream's was, and issues what the upstream
    // issued. Returns a text for a notice (empty: nothing worth saying).
    std::string answer_client(SSL* client, SSL* upstream, TlsLegHooks& client_hooks,
                              const TlsLegHooks& upstream_hooks);
    // Both handshakes completed: remember the upstream's session under what the client may
    // offer next time. Returns a text for a notice (empty: nothing worth saying).
    std::string remember(SSL* client, SSL* upstream, const TlsLegHooks& client_hooks);

private:
    std::string key(char kind, const std::string& bytes) const;

    ResumptionCache* cache_;
    std::string upstream_;
    std::string sni_;
    std::string offered_key_;  // empty: the client offered nothing resumable
    bool offer_surely_meant_ = false;  // not a TLS 1.3 client's random compatibility session id
    std::optional<ResumptionCache::Entry> found_;
    bool resumed_upstream_ = false;
};

}  // namespace proxy
