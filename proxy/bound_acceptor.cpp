#include "proxy/bound_acceptor.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <stdexcept>

namespace proxy {

void bind_acceptor(boost::asio::ip::tcp::acceptor& acceptor, const boost::asio::ip::tcp::endpoint& where,
                   const std::string& named) {
    using boost::asio::ip::tcp;
    boost::system::error_code ec;
    acceptor.open(where.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec && where.address().is_v6()) acceptor.set_option(boost::asio::ip::v6_only(true), ec);
    if (!ec) acceptor.bind(where, ec);
    if (ec) throw std::runtime_error(named + ": " + ec.message());
}

}  // namespace proxy
