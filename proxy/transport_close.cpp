#include "proxy/transport_close.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace proxy {

namespace asio = boost::asio;

void send_fin(TappedSocket& to) noexcept {
    boost::system::error_code ec;
    if (!to.socket().is_open()) return;
    to.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    if (!ec) to.recorder().fin(to.outgoing());
}

void send_rst(TappedSocket& to) noexcept {
    boost::system::error_code ec;
    if (!to.socket().is_open()) return;
    to.socket().set_option(asio::socket_base::linger(true, 0), ec);
    to.socket().close(ec);
    to.recorder().rst(to.outgoing());
}

PeerClose mirror_read_end(const boost::system::error_code& ec, TappedSocket& to) noexcept {
    if (ec == asio::error::eof) {
        send_fin(to);
        return PeerClose::Fin;
    }
    if (ec == asio::error::connection_reset) {
        send_rst(to);
        return PeerClose::Rst;
    }
    return PeerClose::Aborted;
}

asio::awaitable<PeerClose> mirror_transport_close(TappedSocket& from, TappedSocket& to) {
    std::array<char, 4096> sink;
    for (;;) {
        auto [ec, n] = co_await from.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
        if (ec) co_return mirror_read_end(ec, to);
    }
}

}  // namespace proxy
