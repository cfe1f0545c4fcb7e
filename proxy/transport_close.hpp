// Closing one side of a relay leg the way the other side closed: a bare FIN as a bare FIN
// (shutdown of the send direction, the socket stays open to read the answer) and an RST as
// an RST (SO_LINGER 0, then close). Each also tells the leg's decoder what siptap sent.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include "decoder/model/events.hpp"
#include "proxy/tapped_socket.hpp"

namespace proxy {

// How a pump's or mirror's source ended. It has no names of its own: events name a close
// with decoder::CloseHow (to_string), the one table of those names.
enum class PeerClose { Fin, Rst, CloseNotify, Alert, Aborted };

void send_fin(TappedSocket& to) noexcept;
void send_rst(TappedSocket& to) noexcept;

// The read error that ended `from`, passed on to `to`: end of file as a FIN, a reset as an
// RST; anything else closes nothing and is Aborted.
PeerClose mirror_read_end(const boost::system::error_code& ec, TappedSocket& to) noexcept;

// Reads `from` (the bytes still reach the decoder) until its TCP connection ends, then
// closes `to` the same way. Returns Fin, Rst or Aborted.
boost::asio::awaitable<PeerClose> mirror_transport_close(TappedSocket& from, TappedSocket& to);

}  // namespace proxy
