// One TLS leg of the relay: an OpenSSL session that reads and writes its TappedSocket
// directly (a BIO that calls recv/send and shows the bytes to the leg's recorder), driven
// by coroutines that wait for the socket only when OpenSSL asks to. Replaces
// asio::ssl::stream, whose engine copies every record through a BIO pair and keeps four
// 17 KB buffers per leg for the life of the connection (about 140 KB per idle relayed pair);
// here an idle leg holds no record buffer (SSL_MODE_RELEASE_BUFFERS) and a message is relayed
// with one recv and one send, without hops through intermediate buffers.
//
// Results follow asio::ssl::stream's conventions, which the pumps and handshakes rely on:
// eof after a close_notify, ssl::error::stream_truncated for a transport end without one,
// the transport's own error (e.g. connection_reset), or an error of the ssl category.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <openssl/ssl.h>
#include <span>
#include <string>
#include <tuple>

#include "proxy/tapped_socket.hpp"

namespace proxy {

struct TlsLegHooks;

class TlsLeg {
public:
    enum class Role { Client, Server };

    TlsLeg(TappedSocket socket, boost::asio::ssl::context& context);
    ~TlsLeg();
    TlsLeg(const TlsLeg&) = delete;
    TlsLeg& operator=(const TlsLeg&) = delete;

    SSL* native_handle() { return ssl_; }
    TappedSocket& next_layer() { return socket_; }

    // Completes with asio::error::in_progress when a callback paused the handshake (the
    // certificate callback returning -1): call again to resume.
    boost::asio::awaitable<boost::system::error_code> handshake(Role role);
    // The same, with each OpenSSL step run on `steps` (a VerdictPool's threads, where a
    // callback may wait); the socket is awaited on the leg's own executor.
    boost::asio::awaitable<boost::system::error_code> handshake_on(boost::asio::thread_pool::executor_type steps,
                                                                   Role role);

    boost::asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> read_some(std::span<char> buf);
    // Completes at once when OpenSSL holds unread bytes, else when the socket is readable.
    boost::asio::awaitable<boost::system::error_code> wait_readable();
    boost::asio::awaitable<boost::system::error_code> write_all(std::span<const char> data);
    // Sends close_notify; completes when the peer answers with its own, closes, or is aborted.
    boost::asio::awaitable<boost::system::error_code> shutdown();

    // After a TLS 1.3 handshake as a client: the server may still refuse our certificate.
    // Waits until `deadline` for its first record, or until `hooks` has seen a
    // NewSessionTicket (sent only once it accepted); application data read meanwhile is
    // appended to `early`. A timeout is no error.
    boost::asio::awaitable<boost::system::error_code> await_verdict(const TlsLegHooks& hooks,
                                                                     std::chrono::steady_clock::time_point deadline,
                                                                     std::string& early);

    // What the leg's custom BIO reads and writes through (its BIO_get_data, tls_leg.cpp).
    // Not a transport kind: decoder::Transport (Udp/Tcp/Tls) is that.
    struct BioContext {
        TappedSocket* socket;
        boost::system::error_code error;  // the last failed recv/send (not would_block)
        int fd = -1;  // during handshake_on's steps: a duplicate descriptor to use
    };

private:
    enum class Wait { None, Read, Write };
    // Before each SSL call: forget the previous call's errors.
    void clear_errors();
    // What an SSL call that returned `ret` needs next; fills `ec` when it failed for good.
    Wait classify(int ret, boost::system::error_code& ec);
    boost::asio::awaitable<boost::system::error_code> wait(Wait w);
    // One SSL_connect or SSL_accept (they set the role only on the first call): what next.
    Wait handshake_step(Role role, boost::system::error_code& ec);
    // One SSL_read for await_verdict: Wait::None once decided (ec set on failure).
    Wait verdict_read(const TlsLegHooks& hooks, std::string& early, boost::system::error_code& ec);

    TappedSocket socket_;
    BioContext bio_context_;
    SSL* ssl_;
};

}  // namespace proxy
