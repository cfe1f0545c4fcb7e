#include "proxy/pump.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <span>

#include "proxy/busy_poll.hpp"

namespace proxy {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kChunk = 16 * 1024;  // one TLS record of plaintext

std::span<const std::byte> bytes(const char* buf, std::size_t n) {
    return {reinterpret_cast<const std::byte*>(buf), n};
}

asio::awaitable<void> send_close_notify(TlsLeg& to) {
    // Completes when the peer answers with its own close_notify, or closes, or is aborted.
    co_await to.shutdown();
}

// An idle relay should not keep 16 KB per direction: the buffer is taken when the leg has
// something to read and given back once what was read has been relayed.
struct RelayBuffer {
    std::unique_ptr<char[]> data;
    char* get() {
        if (!data) data = std::make_unique_for_overwrite<char[]>(kChunk);
        return data.get();
    }
    void release() { data.reset(); }
};

}  // namespace

asio::awaitable<PeerClose> pump_tls(TlsLeg& from, TlsLeg& to, const TlsLegHooks& from_hooks, Activity& activity) {
    RelayBuffer buf;
    boost::system::error_code ec;
    for (;;) {
        if (auto wec = co_await from.wait_readable()) {
            ec = wec;
            break;
        }
        auto [rec, n] = co_await from.read_some({buf.get(), kChunk});
        if (n > 0) {
            activity.touch();
            note_relayed(&from);
            from.next_layer().recorder().plaintext(from.next_layer().incoming(), bytes(buf.get(), n));
            to.next_layer().recorder().plaintext(to.next_layer().outgoing(), bytes(buf.get(), n));
            if (co_await to.write_all({buf.get(), n})) co_return PeerClose::Aborted;  // the other direction sees why
            if (!SSL_has_pending(from.native_handle())) buf.release();
        }
        if (rec) {
            ec = rec;
            break;
        }
    }
    auto& from_tcp = from.next_layer();
    auto& to_tcp = to.next_layer();
    if (ec == asio::error::eof && from_hooks.close_notify_received) {
        co_await (send_close_notify(to) && mirror_transport_close(from_tcp, to_tcp));
        co_return PeerClose::CloseNotify;
    }
    if (ec == asio::ssl::error::stream_truncated || ec == asio::error::eof) {
        send_fin(to_tcp);  // a bare FIN stays a bare FIN: no close_notify added
        co_return PeerClose::Fin;
    }
    if (ec == asio::error::connection_reset) {
        send_rst(to_tcp);
        co_return PeerClose::Rst;
    }
    if (ec.category() == asio::error::get_ssl_category()) {
        // A fatal alert (or a protocol error) after the handshake. OpenSSL cannot send an
        // arbitrary alert on an established session, so the other side sees the transport
        // close that followed it.
        send_fin(to_tcp);
        co_await mirror_transport_close(from_tcp, to_tcp);
        co_return from_hooks.fatal_alert_received ? PeerClose::Alert : PeerClose::Fin;
    }
    co_return PeerClose::Aborted;
}

asio::awaitable<PeerClose> pump_plain(TappedSocket& from, TappedSocket& to, Activity& activity) {
    std::array<char, kChunk> buf;
    for (;;) {
        auto [ec, n] = co_await from.async_read_some(asio::buffer(buf), kTuple);
        if (n > 0) {
            activity.touch();
            note_relayed(&from);
            auto [wec, written] = co_await asio::async_write(to, asio::buffer(buf, n), kTuple);
            if (wec) co_return PeerClose::Aborted;
        }
        if (ec) co_return mirror_read_end(ec, to);
    }
}

}  // namespace proxy
