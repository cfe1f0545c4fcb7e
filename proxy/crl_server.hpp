// --crl-listen ADDR:PORT: a plain HTTP server (Boost.Beast) for the empty CRLs of the forge's
// CAs, at the URLs that forged certificates name in their CRL distribution point. One request
// per connection (GET or HEAD; `Connection: close`), as Windows' CryptNet fetches a CRL; a
// request that is not whole within 5 s or bigger than 8 KiB is dropped, and at most 32
// connections are served at once (more are closed at once): nothing a client does can hold the
// relay's first I/O thread, on which it runs.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "proxy/relay_config.hpp"

namespace proxy {

class EmptyCrl;

class CrlServer {
public:
    // Binds and listens at once. Throws std::runtime_error starting "--crl-listen ADDR:PORT: "
    // when `where` is not an IP address, is unspecified (0.0.0.0, ::: no URL a peer could
    // fetch), or cannot be bound.
    CrlServer(boost::asio::io_context& ioc, const HostPort& where);
    ~CrlServer();
    CrlServer(const CrlServer&) = delete;
    CrlServer& operator=(const CrlServer&) = delete;

    // Serves `crl` (which must outlive the io_context) at `path` ("/name.crl"); returns its URL.
    std::string serve(const std::string& path, EmptyCrl& crl);
    // Starts accepting (on the io_context's thread, once it runs).
    void start();
    // Stops accepting; the connections being served end within their 5 s. Any thread.
    void stop();
    std::uint16_t port() const;

private:
    struct State;
    std::shared_ptr<State> state_;  // shared with the accept loop and each connection
};

}  // namespace proxy
