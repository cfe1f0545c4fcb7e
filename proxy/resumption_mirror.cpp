#include "proxy/resumption_mirror.hpp"

#include <cstring>

#include "proxy/tls_hooks.hpp"

namespace proxy {

namespace {

constexpr unsigned kExtSessionTicket = 35;
constexpr char kById = 'i', kByTicket = 't';

// A session id offered by the client: the relay answers with the session the upstream
// resumed, never another one.
SSL_SESSION* lookup_session_id(SSL* ssl, const unsigned char* id, int len, int* copy) {
    const TlsLegHooks* hooks = hooks_of(ssl);
    *copy = 1;  // OpenSSL takes its own reference; the hooks keep theirs
    if (!hooks || !hooks->may_resume || !hooks->resumable) return nullptr;
    unsigned stored_len = 0;
    const unsigned char* stored = SSL_SESSION_get_id(hooks->resumable.get(), &stored_len);
    if (len < 0 || stored_len != static_cast<unsigned>(len) || std::memcmp(stored, id, stored_len) != 0) return nullptr;
    return hooks->resumable.get();
}

// A ticket the relay issued decrypted: use it only when the upstream resumed, renew it when
// the upstream renewed its own. Anything else: a full handshake and a new ticket, as OpenSSL
// does by default.
SSL_TICKET_RETURN decide_ticket(SSL* ssl, SSL_SESSION*, const unsigned char*, size_t, SSL_TICKET_STATUS status,
                                void*) {
    const TlsLegHooks* hooks = hooks_of(ssl);
    const bool decrypted = status == SSL_TICKET_SUCCESS || status == SSL_TICKET_SUCCESS_RENEW;
    if (status == SSL_TICKET_NONE) return SSL_TICKET_RETURN_IGNORE;
    if (!decrypted || !hooks || !hooks->may_resume) return SSL_TICKET_RETURN_IGNORE_RENEW;
    return hooks->renew_ticket ? SSL_TICKET_RETURN_USE_RENEW : SSL_TICKET_RETURN_USE;
}

// The upstream gave neither a session id nor a ticket: neither does the relay. OpenSSL 3.0
// sends the new session's id even when this callback says it is not resumable, so the id is
// also emptied here (an empty id in the ServerHello: nothing to resume).
int not_resumable(SSL* ssl, int) {
    const TlsLegHooks* hooks = hooks_of(ssl);
    if (!hooks || !hooks->issue_no_session) return 0;
    static const unsigned char kNone[1] = {0};
    if (SSL_SESSION* session = SSL_get_session(ssl)) SSL_SESSION_set1_id(session, kNone, 0);
    return 1;
}

std::string bytes_of(const unsigned char* p, std::size_t n) { return std::string(reinterpret_cast<const char*>(p), n); }

}  // namespace

void install_resumption_callbacks(SSL_CTX* ctx, std::chrono::seconds lifetime) {
    // A server-side cache (so the ServerHello carries a session id) that OpenSSL neither
    // fills nor searches: lookup_session_id answers, from the connection's hooks.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_get_cb(ctx, lookup_session_id);
    SSL_CTX_set_session_ticket_cb(ctx, nullptr, decide_ticket, nullptr);
    SSL_CTX_set_not_resumable_session_callback(ctx, not_resumable);
    SSL_CTX_set_timeout(ctx, static_cast<long>(lifetime.count()));  // also the tickets' lifetime hint
}

ResumptionMirror::ResumptionMirror(ResumptionCache* cache, std::string upstream)
    : cache_(cache), upstream_(std::move(upstream)) {}

std::string ResumptionMirror::key(char kind, const std::string& bytes) const {
    return upstream_ + '\n' + sni_ + '\n' + kind + bytes;
}

void ResumptionMirror::read_offer(SSL* client, const MirroredHello& hello) {
    if (!cache_) return;
    sni_ = hello.sni;
    const unsigned char* p = nullptr;
    std::size_t n = 0;
    if (SSL_client_hello_get0_ext(client, kExtSessionTicket, &p, &n) == 1 && n > 0) {
        offered_key_ = key(kByTicket, bytes_of(p, n));
        offer_surely_meant_ = true;
    } else if ((n = SSL_client_hello_get0_session_id(client, &p)) > 0) {
        offered_key_ = key(kById, bytes_of(p, n));
        offer_surely_meant_ = hello.max_version < TLS1_3_VERSION;
    }
}

void ResumptionMirror::offer_upstream(SSL* upstream) {
    if (!cache_ || offered_key_.empty()) return;
    found_ = cache_->find(offered_key_);
    if (found_ && SSL_set_session(upstream, found_->upstream.get()) != 1) found_.reset();
}

std::string ResumptionMirror::answer_client(SSL* client, SSL* upstream, TlsLegHooks& client_hooks,
                                            const TlsLegHooks& upstream_hooks) {
    if (!cache_ || SSL_version(upstream) >= TLS1_3_VERSION) return {};
    resumed_upstream_ = found_ && SSL_session_reused(upstream) == 1;
    if (resumed_upstream_) {
        client_hooks.may_resume = true;
        client_hooks.resumable = found_->client;
        client_hooks.renew_ticket = upstream_hooks.server_will_send_ticket;
        return "resumed the upstream's session that matches the one the client offered";
    }
    // A full handshake on both legs; the client is given what the upstream gave.
    client_hooks.issue_no_session = !upstream_hooks.server_gave_session_id && !upstream_hooks.server_will_send_ticket;
    if (!upstream_hooks.server_will_send_ticket) SSL_set_options(client, SSL_OP_NO_TICKET);
    if (found_) return "could not resume: the upstream declined its session, so the client's leg runs a full handshake too";
    if (offer_surely_meant_)
        return "could not resume: the relay holds no upstream session for the one the client offered "
               "(not issued by this relay, expired or evicted), so both legs run a full handshake";
    return {};
}

std::string ResumptionMirror::remember(SSL* client, SSL* upstream, const TlsLegHooks& client_hooks) {
    if (!cache_ || SSL_version(client) >= TLS1_3_VERSION || SSL_version(upstream) >= TLS1_3_VERSION) return {};
    const bool client_resumed = SSL_session_reused(client) == 1;
    SSL_SESSION* up = SSL_get0_session(upstream);
    if (up && SSL_SESSION_is_resumable(up) == 1) {
        // Copies: OpenSSL marks a connection's own session not resumable when the connection
        // ends without close_notify (a bare FIN, as Python clients close), which the relay
        // mirrors onto the upstream leg; the peers' copies stay resumable.
        const ResumptionCache::Entry entry{share_session(SSL_SESSION_dup(up)),
                                           share_session(SSL_SESSION_dup(SSL_get0_session(client)))};
        if (!client_hooks.ticket_sent.empty()) cache_->put(key(kByTicket, client_hooks.ticket_sent), entry);
        unsigned id_len = 0;
        const unsigned char* id = SSL_SESSION_get_id(entry.client.get(), &id_len);
        if (!client_resumed && id_len > 0) cache_->put(key(kById, bytes_of(id, id_len)), entry);
        // Resumed: the upstream may have renewed its ticket; the client offers the same again.
        if (client_resumed && client_hooks.ticket_sent.empty()) cache_->put(offered_key_, entry);
    }
    if (resumed_upstream_ && !client_resumed)
        return "the upstream resumed its session but the client's leg ran a full handshake";
    return {};
}

}  // namespace proxy
