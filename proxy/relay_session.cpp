#include "proxy/relay_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <optional>

#include "proxy/handshakes.hpp"
#include "proxy/key_log_writer.hpp"
#include "proxy/pump.hpp"
#include "proxy/resumption_mirror.hpp"
#include "proxy/session_guard.hpp"
#include "proxy/tls13_certificates.hpp"

namespace proxy {

namespace asio = boost::asio;
using asio::ip::tcp;
using decoder::Dir;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

decoder::Endpoint endpoint_of(const tcp::endpoint& ep) {
    return {ep.address().to_string(), ep.port()};
}

std::string endpoint_text(const tcp::endpoint& ep) {
    return ep.address().to_string() + " " + std::to_string(ep.port());
}

// Shared by the relay and its watchdog, which lives as long as the relay.
struct Session {
    RelayShared& shared;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    Activity activity;
    bool handshaking = true;
    bool done = false;
    bool timed_out = false;
    std::optional<asio::steady_timer> timer;
    tcp::socket* sockets[2] = {nullptr, nullptr};

    void end() {
        done = true;
        if (timer) timer->cancel();
    }
    void close_all() {
        boost::system::error_code ec;
        for (auto* s : sockets)
            if (s) s->close(ec);
    }
};

asio::awaitable<void> watchdog(Session& s) {
    const auto& cfg = s.shared.config;
    const auto started = s.started;
    while (!s.done) {
        const auto deadline = s.handshaking ? started + cfg.handshake_timeout
                                            : s.activity.last + cfg.idle_timeout;
        if (std::chrono::steady_clock::now() >= deadline) {
            s.timed_out = true;
            s.close_all();  // the relay's pending operations end with operation_aborted
            co_return;
        }
        s.timer->expires_at(deadline);
        co_await s.timer->async_wait(kTuple);
    }
}

asio::awaitable<void> relay_plain(Session& s, TappedSocket& client, TappedSocket& upstream) {
    s.handshaking = false;
    co_await (pump_plain(client, upstream, s.activity) && pump_plain(upstream, client, s.activity));
}

// Both handshakes (see handshakes.hpp for the order), then one pump per direction.
asio::awaitable<void> relay_tls(Session& s, TappedSocket client_tcp, TappedSocket upstream_tcp) {
    LegRecorder& client_leg = client_tcp.recorder();
    LegRecorder& upstream_leg = upstream_tcp.recorder();
    TlsLeg client(std::move(client_tcp), *s.shared.client_facing);
    TlsLeg upstream(std::move(upstream_tcp), *s.shared.upstream_facing);
    s.sockets[0] = &client.next_layer().socket();
    s.sockets[1] = &upstream.next_layer().socket();
    TlsLegHooks client_hooks;
    client_hooks.recorder = &client_leg;
    client_hooks.peer_dir = Dir::ClientToServer;
    TlsLegHooks upstream_hooks;
    upstream_hooks.recorder = &upstream_leg;
    upstream_hooks.peer_dir = Dir::ServerToClient;
    attach_hooks(client.native_handle(), &client_hooks);
    attach_hooks(upstream.native_handle(), &upstream_hooks);
    // The upstream's SNI is the client's (or none): see client_hello_mirror.hpp.

    boost::system::error_code ec;
    const auto upstream_ep = upstream.next_layer().socket().remote_endpoint(ec);
    ResumptionMirror resumption(s.shared.resumption, ec ? std::string() : endpoint_text(upstream_ep));

    const auto deadline = s.started + s.shared.config.handshake_timeout;
    HandshakeOutcome hs;  // no co_await inside ?: — g++ 12 destroys the temporary twice
    if (s.shared.forge)
        hs = co_await forged_handshakes(client, upstream, client_hooks, upstream_hooks, resumption, *s.shared.forge,
                                        *s.shared.verdicts, deadline);
    else
        hs = co_await given_handshakes(client, upstream, client_hooks, upstream_hooks, resumption);
    if (hs.established)
        if (auto text = resumption.remember(client.native_handle(), upstream.native_handle(), client_hooks); !text.empty())
            upstream_leg.payload(Dir::ClientToServer, decoder::Notice{"relay-resume", std::move(text)});
    LegRecorder::handshakes_done(client_leg, upstream_leg);
    if (!hs.established) co_return;
    s.handshaking = false;
    s.activity.touch();
    if (!hs.client_certs_recorded) record_tls13_certificates(client.native_handle(), client_leg, Dir::ClientToServer);
    if (!hs.upstream_certs_recorded)
        record_tls13_certificates(upstream.native_handle(), upstream_leg, Dir::ServerToClient);
    if (!hs.upstream_early.empty()) {  // read while waiting for the upstream's verdict
        const std::span early{reinterpret_cast<const std::byte*>(hs.upstream_early.data()), hs.upstream_early.size()};
        upstream_leg.plaintext(Dir::ServerToClient, early);
        client_leg.plaintext(Dir::ServerToClient, early);
        if (co_await client.write_all(hs.upstream_early)) co_return;
    }
    co_await (pump_tls(client, upstream, client_hooks, s.activity) &&
              pump_tls(upstream, client, upstream_hooks, s.activity));
}

// What the leg is also written to (--write-pcap, --capture) and which files it reports on.
void record_evidence(const RelayShared& shared, LegRecorder& leg, bool decrypted) {
    if (shared.pcap) leg.write_pcap(*shared.pcap, decrypted);
    if (shared.capture) leg.capture(*shared.capture);
    if (shared.keylog && decrypted) leg.watch(shared.keylog->file());
}

// Connects to the upstream (opening `upstream_leg`) and relays until both directions ended.
// `refused`: the connect failed (reported on the client leg; the client sees the same failure).
asio::awaitable<void> connect_and_relay(Session& s, TappedSocket client, std::optional<LegRecorder>& upstream_leg,
                                        bool& refused) {
    // The watchdog closes what s.sockets names: never a socket of a frame already gone, also
    // when an exception unwinds this one.
    struct Forget {
        Session& s;
        ~Forget() { s.sockets[0] = s.sockets[1] = nullptr; }
    } forget{s};
    LegRecorder& client_leg = client.recorder();
    s.sockets[0] = &client.socket();
    tcp::socket upstream_socket(client.socket().get_executor());
    s.sockets[1] = &upstream_socket;
    auto [cec, ignored] = co_await asio::async_connect(upstream_socket, s.shared.upstream, kTuple);
    if (cec) {
        // Without siptap the client's connection attempt would have failed the same way.
        client_leg.payload(Dir::ServerToClient,
                           decoder::Notice{"relay-error", "cannot connect to the upstream " +
                                                              s.shared.config.upstream.host + ": " +
                                                              cec.message()});
        if (cec == asio::error::connection_refused) send_rst(client);
        else send_fin(client);
        refused = true;
        co_return;
    }
    boost::system::error_code ec;
    upstream_socket.set_option(tcp::no_delay(true), ec);
    client.socket().set_option(tcp::no_delay(true), ec);
    const bool decrypted = s.shared.client_facing != nullptr;
    upstream_leg.emplace(s.shared.gate, endpoint_of(upstream_socket.local_endpoint(ec)),
                         endpoint_of(upstream_socket.remote_endpoint(ec)), decoder::Transport::Tcp, decrypted);
    record_evidence(s.shared, *upstream_leg, decrypted);
    TappedSocket upstream(std::move(upstream_socket), *upstream_leg, Dir::ServerToClient);
    s.sockets[1] = &upstream.socket();
    if (decrypted) co_await relay_tls(s, std::move(client), std::move(upstream));
    else co_await relay_plain(s, client, upstream);
}

asio::awaitable<void> relay(Session& s, tcp::socket client_socket, tcp::endpoint client_ep) {
    boost::system::error_code ec;
    const auto listen_ep = client_socket.local_endpoint(ec);
    const bool decrypted = s.shared.client_facing != nullptr;
    LegRecorder client_leg(s.shared.gate, endpoint_of(client_ep), endpoint_of(listen_ep), decoder::Transport::Tcp,
                           decrypted);
    record_evidence(s.shared, client_leg, decrypted);
    std::optional<LegRecorder> upstream_leg;
    bool refused = false;
    TappedSocket client(std::move(client_socket), client_leg, Dir::ClientToServer);
    co_await guard_session(connect_and_relay(s, std::move(client), upstream_leg, refused), client_leg, upstream_leg);
    if (!refused) {
        const auto how = s.timed_out ? decoder::CloseHow::Timeout : decoder::CloseHow::CaptureEnd;
        client_leg.finish(how);
        if (upstream_leg) upstream_leg->finish(how);
    }
    s.end();
}

}  // namespace

asio::awaitable<void> run_session(tcp::socket client, tcp::endpoint client_ep, RelayShared& shared) {
    Session s{shared, std::chrono::steady_clock::now(), {}, true, false, false, std::nullopt, {}};
    s.timer.emplace(client.get_executor());
    co_await (relay(s, std::move(client), client_ep) && watchdog(s));
}

}  // namespace proxy
