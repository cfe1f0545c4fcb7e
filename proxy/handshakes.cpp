#include "proxy/handshakes.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <openssl/x509_vfy.h>

#include "proxy/cert_forge.hpp"
#include "proxy/client_hello_mirror.hpp"
#include "proxy/resumption_mirror.hpp"
#include "proxy/tls13_certificates.hpp"
#include "proxy/verdict_pool.hpp"

namespace proxy {

namespace asio = boost::asio;
using decoder::Dir;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr std::uint8_t kHandshakeFailure = 40;

void notice(TlsLeg& leg, Dir dir, std::string text, const char* what = "relay-error") {
    leg.next_layer().recorder().payload(dir, decoder::Notice{what, std::move(text)});
}

// A handshake that failed neither by the peer's alert nor by its hang-up, nor as the mirror of
// the other peer's refusal (`mirrored`), failed in the relay itself: say so with OpenSSL's reason.
void report_relay_side(TlsLeg& leg, const TlsLegHooks& hooks, const boost::system::error_code& ec, const char* leg_name,
                       bool mirrored = false) {
    if (!ec || mirrored || hooks.fatal_alert_received || ec.category() != asio::error::get_ssl_category()) return;
    const Dir dir = hooks.peer_dir == Dir::ClientToServer ? Dir::ServerToClient : Dir::ClientToServer;
    notice(leg, dir, std::string("the relay's ") + leg_name + " handshake failed: " + ec.message());
}

// One side's handshake failed: close the other side's transport the same way, both ways.
asio::awaitable<void> mirror_failure(TlsLeg& client, TlsLeg& upstream, bool upstream_failed) {
    if (!upstream_failed) send_fin(upstream.next_layer());
    co_await (mirror_transport_close(upstream.next_layer(), client.next_layer()) &&
              mirror_transport_close(client.next_layer(), upstream.next_layer()));
}

// The upstream refused before the client's handshake began: refuse the ClientHello with the
// upstream's alert, or mirror its hang-up.
asio::awaitable<void> refuse_client(TlsLeg& client, TlsLeg& upstream, TlsLegHooks& client_hooks,
                                    const TlsLegHooks& upstream_hooks) {
    if (upstream_hooks.fatal_alert_received) {
        client_hooks.refuse_with_alert = *upstream_hooks.fatal_alert_received;
        co_await client.handshake(TlsLeg::Role::Server);
    }
    co_await mirror_failure(client, upstream, true);
}


// After a TLS 1.3 handshake the upstream may still refuse our certificate: wait briefly for
// its first record (see TlsLeg::await_verdict).
std::chrono::steady_clock::time_point verdict_deadline(std::chrono::steady_clock::time_point deadline) {
    return std::min(deadline, std::chrono::steady_clock::now() + kVerdictWait);
}

// TLS 1.3 hides certificates on the wire: report the client leg's two chains from the verify
// callback, where they are known even if the handshake is then refused.
bool record_client_leg(const Identity& ours, X509_STORE_CTX* store, LegRecorder& leg) {
    std::vector<X509*> server{ours.cert.get()}, client{X509_STORE_CTX_get0_cert(store)};
    for (const auto& c : ours.chain) server.push_back(c.get());
    STACK_OF(X509)* sent = X509_STORE_CTX_get0_untrusted(store);
    for (int i = 0; sent && i < sk_X509_num(sent); ++i)
        if (X509_cmp(sk_X509_value(sent, i), client.front()) != 0) client.push_back(sk_X509_value(sent, i));
    record_chain(server, leg, Dir::ServerToClient);
    record_chain(client, leg, Dir::ClientToServer);
    return true;
}

// Reads the client's ClientHello and holds its handshake there; the upstream leg is set to
// offer the same (see client_hello_mirror.hpp). False when the client's leg ended first; its
// end is then mirrored onto the upstream.
asio::awaitable<bool> read_client_hello_first(TlsLeg& client, TlsLeg& upstream, TlsLegHooks& client_hooks,
                                               ResumptionMirror& resumption) {
    std::optional<MirroredHello> hello;
    client_hooks.client_hello = [&hello, &resumption](SSL* ssl) {
        hello = read_client_hello(ssl);
        resumption.read_offer(ssl, *hello);
        return SSL_CLIENT_HELLO_RETRY;
    };
    const auto ec = co_await client.handshake(TlsLeg::Role::Server);
    client_hooks.client_hello = nullptr;  // called again when resumed: go on
    if (ec != asio::error::in_progress || !hello) {
        report_relay_side(client, client_hooks, ec, "client-facing");
        co_await mirror_failure(client, upstream, false);
        co_return false;
    }
    for (auto& text : offer_like(upstream.native_handle(), *hello))
        notice(upstream, Dir::ClientToServer, "not offered to the upstream as the client did: " + text, "relay-mirror");
    resumption.offer_upstream(upstream.native_handle());
    co_return true;
}

// The upstream has answered the ClientHello: resume the client's session only if the
// upstream resumed (see resumption_mirror.hpp).
void answer_resumption(ResumptionMirror& resumption, TlsLeg& client, TlsLeg& upstream, TlsLegHooks& client_hooks,
                       const TlsLegHooks& upstream_hooks) {
    const std::string text =
        resumption.answer_client(client.native_handle(), upstream.native_handle(), client_hooks, upstream_hooks);
    if (!text.empty()) notice(upstream, Dir::ClientToServer, text, "relay-resume");
}

// The client's handshake failed while the upstream's waits for our certificate: abort the
// upstream's the way the client aborted, never complete it without a certificate. The client's
// alert is sent as it was, in clear: before TLS 1.3 every alert at this point is, and a TLS 1.3
// client refuses the server's certificate before it uses its handshake keys (the server takes
// such alerts until the client's first encrypted record). A TLS 1.3 alert the client did
// encrypt would need the handshake keys: the upstream then sees the transport close only.
// TLS 1.3 records say 0x0303.
void abort_like_client(TlsLeg& upstream, const TlsLegHooks& client_hooks) {
    SSL* up = upstream.native_handle();
    if (!client_hooks.fatal_alert_received) return;
    if (SSL_version(up) >= TLS1_3_VERSION && client_hooks.last_record_read != SSL3_RT_ALERT) return;
    const auto v = static_cast<unsigned char>(std::min(SSL_version(up), TLS1_2_VERSION) & 0xff);
    const unsigned char alert[] = {SSL3_RT_ALERT, 3, v, 0, 2, SSL3_AL_FATAL, *client_hooks.fatal_alert_received};
    boost::system::error_code ec;
    upstream.next_layer().send_now(alert, sizeof alert, ec);
}

// The upstream's certificate as the client will see it: a forgery, with a notice when the
// throwaway CA signed it (the client then refuses it as untrusted, which may be why).
std::shared_ptr<const Identity> forge_for(CertForge& forge, X509* original, STACK_OF(X509)* chain, TlsLeg& leg,
                                          Dir to, const char* whose) {
    std::string error, untrusted;
    auto id = forge.forge(original, chain, &error, &untrusted);
    if (!id) {
        notice(leg, to, std::string("cannot forge the ") + whose + " certificate: " + error);
        return nullptr;
    }
    if (!untrusted.empty())
        notice(leg, to, std::string("the ") + whose + " certificate is forged by siptap's throwaway untrusted CA, " +
                            "so the far peer will not trust it: " + untrusted +
                            " (give --trust the roots that issued it, and make the peer trust the forge CA)",
               "relay-trust");
    return id;
}

}  // namespace

int x509_error_for_alert(std::uint8_t alert) {
    switch (alert) {
    case SSL_AD_CERTIFICATE_EXPIRED: return X509_V_ERR_CERT_HAS_EXPIRED;
    case SSL_AD_UNKNOWN_CA: return X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
    case SSL_AD_BAD_CERTIFICATE: return X509_V_ERR_CERT_UNTRUSTED;
    case SSL_AD_CERTIFICATE_REVOKED: return X509_V_ERR_CERT_REVOKED;
    case SSL_AD_UNSUPPORTED_CERTIFICATE: return X509_V_ERR_INVALID_PURPOSE;
    case SSL_AD_DECRYPT_ERROR: return X509_V_ERR_CERT_SIGNATURE_FAILURE;
    case SSL_AD_CERTIFICATE_UNKNOWN: return X509_V_ERR_UNSPECIFIED;
    case SSL_AD_INTERNAL_ERROR: return X509_V_ERR_OUT_OF_MEM;
    default: return X509_V_ERR_APPLICATION_VERIFICATION;  // handshake_failure
    }
}

asio::awaitable<HandshakeOutcome> given_handshakes(TlsLeg& client, TlsLeg& upstream,
                                                   TlsLegHooks& client_hooks, TlsLegHooks& upstream_hooks,
                                                   ResumptionMirror& resumption) {
    HandshakeOutcome out;
    if (!co_await read_client_hello_first(client, upstream, client_hooks, resumption)) co_return out;
    const auto uec = co_await upstream.handshake(TlsLeg::Role::Client);
    if (uec) {
        report_relay_side(upstream, upstream_hooks, uec, "upstream");
        co_await refuse_client(client, upstream, client_hooks, upstream_hooks);
        co_return out;
    }
    SSL* up = upstream.native_handle();
    answer_resumption(resumption, client, upstream, client_hooks, upstream_hooks);
    answer_like(client.native_handle(), up, upstream_hooks.certificate_requested, false);
    boost::system::error_code vec;
    if (SSL_version(up) == TLS1_3_VERSION && SSL_get_certificate(up))
        vec = co_await upstream.await_verdict(upstream_hooks, verdict_deadline(std::chrono::steady_clock::time_point::max()),
                                              out.upstream_early);
    if (upstream_hooks.fatal_alert_received) {  // refuse the client's certificate as ours was refused
        const int error = x509_error_for_alert(*upstream_hooks.fatal_alert_received);
        client_hooks.verify_client_chain = [error](X509_STORE_CTX* store) {
            X509_STORE_CTX_set_error(store, error);
            return 0;
        };
    }
    const auto cec = co_await client.handshake(TlsLeg::Role::Server);
    client_hooks.verify_client_chain = nullptr;
    report_relay_side(client, client_hooks, cec, "client-facing", upstream_hooks.fatal_alert_received.has_value());
    if (cec || vec) {
        co_await mirror_failure(client, upstream, bool(vec));
        co_return out;
    }
    out.established = true;
    co_return out;
}

asio::awaitable<HandshakeOutcome> forged_handshakes(TlsLeg& client, TlsLeg& upstream,
                                                    TlsLegHooks& client_hooks, TlsLegHooks& upstream_hooks,
                                                    ResumptionMirror& resumption, CertForge& forge,
                                                    VerdictPool& verdicts,
                                                    std::chrono::steady_clock::time_point deadline) {
    struct State {
        bool client_cert_ready = false;  // the upstream may have its certificate now
        bool upstream_paused = false;    // in the certificate callback, waiting for it
        std::optional<int> verdict;      // of the verify callback, once decided
        boost::system::error_code upstream_ec;
        // On the connection's I/O thread: the callback asked for the upstream's handshake to be
        // finished (cert_arrived), or the client's handshake is over (client_done).
        bool cert_arrived = false, client_done = false;
        bool upstream_done = false;  // under the VerdictPool's lock: the callback may go on
    } st;
    HandshakeOutcome out;
    SSL* up = upstream.native_handle();
    SSL* cl = client.native_handle();
    SSL_set_cert_cb(up, [](SSL*, void* arg) { return static_cast<State*>(arg)->client_cert_ready ? 1 : -1; }, &st);
    struct ForgetCertCb {  // `st` ends with this frame; nothing may call back into it later
        SSL* ssl;
        ~ForgetCertCb() { SSL_set_cert_cb(ssl, nullptr, nullptr); }
    } forget_cert_cb{up};

    if (!co_await read_client_hello_first(client, upstream, client_hooks, resumption)) co_return out;
    const auto uec = co_await upstream.handshake(TlsLeg::Role::Client);
    st.upstream_paused = uec && SSL_want_x509_lookup(up);
    if (uec && !st.upstream_paused) {
        report_relay_side(upstream, upstream_hooks, uec, "upstream");
        co_await refuse_client(client, upstream, client_hooks, upstream_hooks);
        co_return out;
    }
    const auto mimic = forge_for(forge, SSL_get0_peer_certificate(up), SSL_get_peer_cert_chain(up), client,
                                 Dir::ServerToClient, "upstream's");
    std::string error;
    if (mimic && !use_identity(cl, *mimic, &error))
        notice(client, Dir::ServerToClient, "cannot present the upstream's certificate: " + error);
    if (!mimic || !error.empty()) {
        send_fin(client.next_layer());
        co_await mirror_failure(client, upstream, false);
        co_return out;
    }
    answer_resumption(resumption, client, upstream, client_hooks, upstream_hooks);
    answer_like(cl, up, st.upstream_paused || upstream_hooks.certificate_requested, true);

    auto io = upstream.next_layer().get_executor();  // the connection's I/O thread
    asio::steady_timer wake(io, deadline);  // cancelled to wake finish_upstream
    // Runs on a VerdictPool thread (see handshake_on below), which may wait here; the I/O thread
    // does not touch the upstream leg meanwhile, finish_upstream waits for cert_arrived.
    client_hooks.verify_client_chain = [&](X509_STORE_CTX* store) -> int {
        if (st.verdict) return *st.verdict;
        if (SSL_version(cl) == TLS1_3_VERSION)
            out.client_certs_recorded = record_client_leg(*mimic, store, client.next_layer().recorder());
        std::string why;
        if (auto forged = forge_for(forge, X509_STORE_CTX_get0_cert(store), X509_STORE_CTX_get0_untrusted(store),
                                    upstream, Dir::ClientToServer, "client's");
            forged && !use_identity(up, *forged, &why))
            notice(upstream, Dir::ClientToServer, "cannot present the client's certificate: " + why);
        st.client_cert_ready = true;
        if (st.upstream_paused) {
            asio::post(io, [&] {
                st.cert_arrived = true;
                wake.cancel();
            });
            // Not done by the deadline: the watchdog is closing both legs; do not read what
            // finish_upstream may still be writing.
            if (!verdicts.wait([&] { return st.upstream_done; }, deadline)) return 1;
        }
        st.verdict = upstream_hooks.fatal_alert_received ? 0 : 1;
        if (*st.verdict == 0)
            X509_STORE_CTX_set_error(store, x509_error_for_alert(*upstream_hooks.fatal_alert_received));
        return *st.verdict;
    };
    // On the I/O thread, while the client's handshake step waits in the callback.
    auto finish_upstream = [&]() -> asio::awaitable<void> {
        while (!st.cert_arrived && !st.client_done && std::chrono::steady_clock::now() < deadline)
            co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
        if (!st.cert_arrived) co_return;
        st.upstream_paused = false;
        st.upstream_ec = co_await upstream.handshake(TlsLeg::Role::Client);
        if (!st.upstream_ec) {
            record_tls13_certificates(up, upstream.next_layer().recorder(), Dir::ServerToClient);
            out.upstream_certs_recorded = true;
        }
        if (!st.upstream_ec && SSL_version(up) == TLS1_3_VERSION)
            st.upstream_ec = co_await upstream.await_verdict(upstream_hooks, verdict_deadline(deadline), out.upstream_early);
        verdicts.update([&] { st.upstream_done = true; });
    };
    auto client_side = [&]() -> asio::awaitable<boost::system::error_code> {
        const auto ec = co_await client.handshake_on(verdicts.executor(), TlsLeg::Role::Server);
        st.client_done = true;
        wake.cancel();
        co_return ec;
    };
    const auto cec = co_await (client_side() && finish_upstream());
    client_hooks.verify_client_chain = nullptr;
    report_relay_side(client, client_hooks, cec, "client-facing", st.verdict == 0);
    if (st.upstream_paused && cec) {
        abort_like_client(upstream, client_hooks);
    } else if (st.upstream_paused) {  // the client completed without a certificate: so do we
        st.client_cert_ready = true;
        st.upstream_ec = co_await upstream.handshake(TlsLeg::Role::Client);
    }
    if (cec || st.upstream_ec) {
        co_await mirror_failure(client, upstream, bool(st.upstream_ec));
        co_return out;
    }
    out.established = true;
    co_return out;
}

}  // namespace proxy
