#include "proxy/handshakes.hpp"

#include <algorithm>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <openssl/x509_vfy.h>

#include "proxy/client_hello_mirror.hpp"
#include "proxy/handshake_steps.hpp"
#include "proxy/resumption_mirror.hpp"

namespace proxy {

namespace asio = boost::asio;
using decoder::Dir;
using namespace asio::experimental::awaitable_operators;

namespace handshake_steps {

void notice(TlsLeg& leg, Dir dir, std::string text, const char* what) {
    leg.next_layer().recorder().payload(dir, decoder::Notice{what, std::move(text)});
}

void report_relay_side(TlsLeg& leg, const TlsLegHooks& hooks, const boost::system::error_code& ec, const char* leg_name,
                       bool mirrored) {
    if (!ec || mirrored || hooks.fatal_alert_received || ec.category() != asio::error::get_ssl_category()) return;
    const Dir dir = hooks.peer_dir == Dir::ClientToServer ? Dir::ServerToClient : Dir::ClientToServer;
    notice(leg, dir, std::string("the relay's ") + leg_name + " handshake failed: " + ec.message());
}

asio::awaitable<void> mirror_failure(TlsLeg& client, TlsLeg& upstream, bool upstream_failed) {
    if (!upstream_failed) send_fin(upstream.next_layer());
    co_await (mirror_transport_close(upstream.next_layer(), client.next_layer()) &&
              mirror_transport_close(client.next_layer(), upstream.next_layer()));
}

asio::awaitable<void> refuse_client(TlsLeg& client, TlsLeg& upstream, TlsLegHooks& client_hooks,
                                    const TlsLegHooks& upstream_hooks) {
    if (upstream_hooks.fatal_alert_received) {
        client_hooks.refuse_with_alert = *upstream_hooks.fatal_alert_received;
        co_await client.handshake(TlsLeg::Role::Server);
    }
    co_await mirror_failure(client, upstream, true);
}


std::chrono::steady_clock::time_point verdict_deadline(std::chrono::steady_clock::time_point deadline) {
    return std::min(deadline, std::chrono::steady_clock::now() + kVerdictWait);
}

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

void answer_resumption(ResumptionMirror& resumption, TlsLeg& client, TlsLeg& upstream, TlsLegHooks& client_hooks,
                       const TlsLegHooks& upstream_hooks) {
    const std::string text =
        resumption.answer_client(client.native_handle(), upstream.native_handle(), client_hooks, upstream_hooks);
    if (!text.empty()) notice(upstream, Dir::ClientToServer, text, "relay-resume");
}

}  // namespace handshake_steps

using namespace handshake_steps;

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

}  // namespace proxy
