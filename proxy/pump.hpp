// One direction of a relay: read from one leg, hand the bytes to the decoder, write them
// unchanged to the other leg; when the reading side closes, close the other side the same
// way (close_notify as close_notify, bare FIN as bare FIN, RST as RST).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>

#include "proxy/tapped_socket.hpp"
#include "proxy/tls_leg.hpp"
#include "proxy/tls_hooks.hpp"
#include "proxy/transport_close.hpp"

namespace proxy {

// Time of the last byte relayed in either direction (for the idle timeout).
struct Activity {
    std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
    void touch() { last = std::chrono::steady_clock::now(); }
};

boost::asio::awaitable<PeerClose> pump_tls(TlsLeg& from, TlsLeg& to,
                                           const TlsLegHooks& from_hooks, Activity& activity);
boost::asio::awaitable<PeerClose> pump_plain(TappedSocket& from, TappedSocket& to,
                                             Activity& activity);

}  // namespace proxy
