// forged_handshakes (handshakes.hpp): --forge-ca's two handshakes, one named step each.
#include "proxy/handshakes.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <openssl/x509_vfy.h>

#include "proxy/cert_forge.hpp"
#include "proxy/handshake_steps.hpp"
#include "proxy/resumption_mirror.hpp"
#include "proxy/tls13_certificates.hpp"
#include "proxy/verdict_pool.hpp"

namespace proxy {

namespace asio = boost::asio;
using decoder::Dir;
using namespace asio::experimental::awaitable_operators;
using namespace handshake_steps;

namespace {

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

// --forge-ca's handshakes, one named step each. Two threads take part: the connection's I/O
// thread runs every step except judge_client_certificate, which OpenSSL calls inside the
// client's handshake on a VerdictPool thread, where it may wait for the upstream. What they
// share is split by owner, not guarded flag by flag:
//  - io_ is touched on the I/O thread only; the callback hands the upstream over by posting
//    onto that thread (hand_upstream_over), never by setting a flag the I/O thread reads;
//  - shared_ is what both threads read or write, always under the VerdictPool's lock: the lock
//    the callback already waits on (VerdictPool::wait also wakes it when the pool stops), so
//    there is one lock and no lock order to keep. A strand alone would not do: the callback
//    must block inside OpenSSL until the upstream's handshake is over.
// The upstream's SSL itself is handed over, not shared: while the client's handshake runs the
// callback may present a certificate on it, and the I/O thread drives it again only after
// hand_upstream_over, or after the client's handshake has ended.
class ForgedHandshakes {
public:
    ForgedHandshakes(TlsLeg& client, TlsLeg& upstream, TlsLegHooks& client_hooks, TlsLegHooks& upstream_hooks,
                     ResumptionMirror& resumption, CertForge& forge, VerdictPool& verdicts,
                     std::chrono::steady_clock::time_point deadline)
        : client_(client), upstream_(upstream), client_hooks_(client_hooks), upstream_hooks_(upstream_hooks),
          resumption_(resumption), forge_(forge), verdicts_(verdicts), deadline_(deadline),
          io_executor_(upstream.next_layer().get_executor()), wake_(io_executor_, deadline) {
        SSL_set_cert_cb(up(), [](SSL*, void* arg) { return static_cast<IoState*>(arg)->client_cert_ready ? 1 : -1; },
                        &io_);
    }
    // This object ends with forged_handshakes' frame: nothing may call back into it later.
    ~ForgedHandshakes() {
        SSL_set_cert_cb(up(), nullptr, nullptr);
        client_hooks_.verify_client_chain = nullptr;
    }
    ForgedHandshakes(const ForgedHandshakes&) = delete;
    ForgedHandshakes& operator=(const ForgedHandshakes&) = delete;

    asio::awaitable<HandshakeOutcome> run() {
        if (!co_await read_client_hello_first(client_, upstream_, client_hooks_, resumption_)) co_return out_;
        if (!co_await run_upstream_until_certificate_request()) co_return out_;
        if (!co_await present_forged_upstream_certificate()) co_return out_;
        answer_resumption(resumption_, client_, upstream_, client_hooks_, upstream_hooks_);
        answer_like(cl(), up(), io_.upstream_paused || upstream_hooks_.certificate_requested, true);
        const auto cec = co_await run_client_while_upstream_judges();
        co_await end_paused_upstream(cec);
        if (cec || io_.upstream_ec) {
            co_await mirror_failure(client_, upstream_, bool(io_.upstream_ec));
            co_return out_;
        }
        out_.established = true;
        co_return out_;
    }

private:
    SSL* up() { return upstream_.native_handle(); }
    SSL* cl() { return client_.native_handle(); }

    // The upstream's handshake runs until it asks for our client certificate (the certificate
    // callback pauses it: the client's certificate is not known yet), or to its end. False when
    // it failed; the failure is then mirrored onto the client.
    asio::awaitable<bool> run_upstream_until_certificate_request() {
        const auto uec = co_await upstream_.handshake(TlsLeg::Role::Client);
        io_.upstream_paused = uec && SSL_want_x509_lookup(up());
        if (!uec || io_.upstream_paused) co_return true;
        report_relay_side(upstream_, upstream_hooks_, uec, "upstream");
        co_await refuse_client(client_, upstream_, client_hooks_, upstream_hooks_);
        co_return false;
    }

    // Mode (c): the client is shown a forgery of the upstream's certificate. False (and both
    // legs closed) when it cannot be forged or presented.
    asio::awaitable<bool> present_forged_upstream_certificate() {
        mimic_ = forge_for(forge_, SSL_get0_peer_certificate(up()), SSL_get_peer_cert_chain(up()), client_,
                           Dir::ServerToClient, "upstream's");
        std::string error;
        if (mimic_ && !use_identity(cl(), *mimic_, &error))
            notice(client_, Dir::ServerToClient, "cannot present the upstream's certificate: " + error);
        if (mimic_ && error.empty()) co_return true;
        send_fin(client_.next_layer());
        co_await mirror_failure(client_, upstream_, false);
        co_return false;
    }

    // The client's handshake (its steps on the VerdictPool) and, meanwhile on the I/O thread,
    // the rest of the upstream's once the callback hands it over. The client's result.
    asio::awaitable<boost::system::error_code> run_client_while_upstream_judges() {
        verdicts_.update([&] {
            shared_.upstream_paused = io_.upstream_paused;
            shared_.upstream_alert = upstream_hooks_.fatal_alert_received;  // final unless paused
        });
        client_hooks_.verify_client_chain = [this](X509_STORE_CTX* store) { return judge_client_certificate(store); };
        const auto cec = co_await (run_client_handshake() && finish_upstream_when_handed_over());
        client_hooks_.verify_client_chain = nullptr;
        std::optional<int> verdict;
        verdicts_.inspect([&] {
            verdict = shared_.verdict;
            out_.client_certs_recorded = shared_.client_certs_recorded;
        });
        report_relay_side(client_, client_hooks_, cec, "client-facing", verdict == 0);
        co_return cec;
    }

    asio::awaitable<boost::system::error_code> run_client_handshake() {
        const auto ec = co_await client_.handshake_on(verdicts_.executor(), TlsLeg::Role::Server);
        io_.client_done = true;
        wake_.cancel();
        co_return ec;
    }

    // On a VerdictPool thread, inside the client's handshake: the client's certificate has
    // arrived. Its forgery is presented to the upstream, whose handshake the I/O thread then
    // finishes while this waits (bounded by the deadline); the upstream's verdict on the forgery
    // becomes ours on the original.
    int judge_client_certificate(X509_STORE_CTX* store) {
        std::optional<int> decided;
        bool upstream_paused = false;
        verdicts_.inspect([&] {
            decided = shared_.verdict;
            upstream_paused = shared_.upstream_paused;
        });
        if (decided) return *decided;
        if (SSL_version(cl()) == TLS1_3_VERSION && record_client_leg(*mimic_, store, client_.next_layer().recorder()))
            verdicts_.update([&] { shared_.client_certs_recorded = true; });
        present_forged_client_certificate(store);
        if (upstream_paused) {
            asio::post(io_executor_, [this] { hand_upstream_over(); });
            // Not done by the deadline: the watchdog is closing both legs; do not read what
            // finish_upstream_when_handed_over may still be writing.
            if (!verdicts_.wait([&] { return shared_.upstream_done; }, deadline_)) return 1;
        }
        int verdict = 1;
        verdicts_.update([&] {
            if (shared_.upstream_alert) {
                verdict = 0;
                X509_STORE_CTX_set_error(store, x509_error_for_alert(*shared_.upstream_alert));
            }
            shared_.verdict = verdict;
        });
        return verdict;
    }

    // On the VerdictPool thread, the upstream's handshake being paused or over.
    void present_forged_client_certificate(X509_STORE_CTX* store) {
        std::string why;
        if (auto forged = forge_for(forge_, X509_STORE_CTX_get0_cert(store), X509_STORE_CTX_get0_untrusted(store),
                                    upstream_, Dir::ClientToServer, "client's");
            forged && !use_identity(up(), *forged, &why))
            notice(upstream_, Dir::ClientToServer, "cannot present the client's certificate: " + why);
    }

    // Posted by the callback onto the I/O thread: the upstream may have its certificate now.
    void hand_upstream_over() {
        io_.client_cert_ready = true;
        io_.cert_arrived = true;
        wake_.cancel();
    }

    // On the I/O thread, while the client's handshake waits in the callback: once handed over,
    // the upstream's handshake to its end and (TLS 1.3) its verdict; then the callback may go on.
    asio::awaitable<void> finish_upstream_when_handed_over() {
        while (!io_.cert_arrived && !io_.client_done && std::chrono::steady_clock::now() < deadline_)
            co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
        if (!io_.cert_arrived) co_return;
        io_.upstream_paused = false;
        io_.upstream_ec = co_await upstream_.handshake(TlsLeg::Role::Client);
        if (!io_.upstream_ec) {
            record_tls13_certificates(up(), upstream_.next_layer().recorder(), Dir::ServerToClient);
            out_.upstream_certs_recorded = true;
        }
        if (!io_.upstream_ec && SSL_version(up()) == TLS1_3_VERSION)
            io_.upstream_ec =
                co_await upstream_.await_verdict(upstream_hooks_, verdict_deadline(deadline_), out_.upstream_early);
        verdicts_.update([&] {
            shared_.upstream_alert = upstream_hooks_.fatal_alert_received;
            shared_.upstream_done = true;
        });
    }

    // The client's handshake ended with the upstream's still waiting for our certificate:
    // abort it the way the client aborted, or complete it without a certificate as the client did.
    asio::awaitable<void> end_paused_upstream(const boost::system::error_code& cec) {
        if (!io_.upstream_paused) co_return;
        if (cec) {
            abort_like_client(upstream_, client_hooks_);
            co_return;
        }
        io_.client_cert_ready = true;
        io_.upstream_ec = co_await upstream_.handshake(TlsLeg::Role::Client);
    }

    TlsLeg &client_, &upstream_;
    TlsLegHooks &client_hooks_, &upstream_hooks_;
    ResumptionMirror& resumption_;
    CertForge& forge_;
    VerdictPool& verdicts_;
    const std::chrono::steady_clock::time_point deadline_;
    const asio::any_io_executor io_executor_;  // the connection's I/O thread
    asio::steady_timer wake_;                  // cancelled to wake finish_upstream_when_handed_over
    std::shared_ptr<const Identity> mimic_;    // set before the client's handshake, then read only
    HandshakeOutcome out_;

    struct IoState {  // the I/O thread's only
        bool upstream_paused = false;    // in the certificate callback, waiting for our certificate
        bool client_cert_ready = false;  // read by that callback: the upstream may go on
        bool cert_arrived = false;       // handed over by judge_client_certificate
        bool client_done = false;        // the client's handshake is over
        boost::system::error_code upstream_ec;
    } io_;
    struct SharedState {  // under the VerdictPool's lock
        bool upstream_paused = false;          // as it was when the client's handshake began
        std::optional<std::uint8_t> upstream_alert;  // the upstream's refusal of our certificate
        bool upstream_done = false;            // the callback may go on
        std::optional<int> verdict;            // of the callback, once decided
        bool client_certs_recorded = false;
    } shared_;
};

}  // namespace

asio::awaitable<HandshakeOutcome> forged_handshakes(TlsLeg& client, TlsLeg& upstream, TlsLegHooks& client_hooks,
                                                    TlsLegHooks& upstream_hooks, ResumptionMirror& resumption,
                                                    CertForge& forge, VerdictPool& verdicts,
                                                    std::chrono::steady_clock::time_point deadline) {
    ForgedHandshakes handshakes(client, upstream, client_hooks, upstream_hooks, resumption, forge, verdicts, deadline);
    co_return co_await handshakes.run();
}

}  // namespace proxy
