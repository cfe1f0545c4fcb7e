// The listening sockets siptap opens (--listen, --crl-listen), set up alike: SO_REUSEADDR, so
// that a restart binds again while old connections sit in TIME_WAIT, and an IPv6 address
// bound for IPv6 only, so that [::]:5061 and 0.0.0.0:5061 can be two listeners. Bound but not
// yet listening: the relay drops its privileges in between.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>

namespace proxy {

// Throws std::runtime_error "<named>: <reason>" when `acceptor` cannot be opened and bound.
void bind_acceptor(boost::asio::ip::tcp::acceptor& acceptor, const boost::asio::ip::tcp::endpoint& where,
                   const std::string& named);

}  // namespace proxy
