// A TCP socket that shows every byte it carries to the leg's recorder, so the decoder sees
// exactly what was on the wire (TLS records, alerts, FIN, RST). It is the transport of a
// TlsLeg, or used as is with --plain. Completions run on the socket's executor
// (the connection's I/O thread).
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <array>
#include <cerrno>
#include <cstddef>
#include <span>
#include <sys/socket.h>
#include <sys/uio.h>

#include "proxy/leg_recorder.hpp"

namespace proxy {

class TappedSocket {
public:
    using socket_type = boost::asio::ip::tcp::socket;
    using executor_type = socket_type::executor_type;
    using lowest_layer_type = socket_type::lowest_layer_type;

    // `incoming` is the decoder direction of the bytes this socket receives.
    TappedSocket(socket_type socket, LegRecorder& recorder, decoder::Dir incoming)
        : socket_(std::move(socket)), recorder_(&recorder), incoming_(incoming) {}

    executor_type get_executor() noexcept { return socket_.get_executor(); }
    lowest_layer_type& lowest_layer() { return socket_.lowest_layer(); }
    const lowest_layer_type& lowest_layer() const { return socket_.lowest_layer(); }
    socket_type& socket() { return socket_; }
    LegRecorder& recorder() { return *recorder_; }
    decoder::Dir incoming() const { return incoming_; }
    decoder::Dir outgoing() const { return decoder::reverse(incoming_); }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const MutableBuffers& bufs) {
                auto ex = boost::asio::get_associated_executor(handler, socket_.get_executor());
                socket_.async_read_some(bufs, boost::asio::bind_executor(ex,
                    [this, bufs, h = std::move(handler)](boost::system::error_code ec, std::size_t n) mutable {
                        show(incoming_, bufs, n);
                        if (ec == boost::asio::error::eof) recorder_->fin(incoming_);
                        else if (ec == boost::asio::error::connection_reset) recorder_->rst(incoming_);
                        std::move(h)(ec, n);
                    }));
            },
            token, buffers);
    }

    // Non-blocking recv/send for a TLS leg's BIO (see tls_leg.hpp): would_block when the
    // socket is not ready; eof (and the recorder's FIN) when the peer closed. `fd`, if not -1,
    // is a duplicate of the socket's descriptor to use instead.
    std::size_t receive_now(void* data, std::size_t size, boost::system::error_code& ec, int fd = -1) {
        if (fd < 0) fd = socket_.native_handle();
        const ssize_t n = call_now([&] { return ::recv(fd, data, size, MSG_DONTWAIT); }, ec);
        if (n > 0) recorder_->wire(incoming_, {static_cast<const std::byte*>(data), static_cast<std::size_t>(n)});
        else if (n == 0 && !ec) ec = boost::asio::error::eof;
        if (ec == boost::asio::error::eof) recorder_->fin(incoming_);
        else if (ec == boost::asio::error::connection_reset) recorder_->rst(incoming_);
        return n > 0 ? static_cast<std::size_t>(n) : 0;
    }

    std::size_t send_now(const void* data, std::size_t size, boost::system::error_code& ec, int fd = -1) {
        if (fd < 0) fd = socket_.native_handle();
        const ssize_t n = call_now([&] { return ::send(fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL); }, ec);
        if (n > 0) recorder_->wire(outgoing(), {static_cast<const std::byte*>(data), static_cast<std::size_t>(n)});
        return n > 0 ? static_cast<std::size_t>(n) : 0;
    }

    // For --plain. Sends at once what the socket takes (completing later, as Asio does), so the
    // recorder sees the bytes before any answer to them: a completion handler may run after the
    // read that brings the answer, and the decoder would see the answer first. (A TlsLeg's
    // send_now records as it sends.)
    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const ConstBuffers& bufs) {
                auto ex = boost::asio::get_associated_executor(handler, socket_.get_executor());
                boost::system::error_code sent_ec;
                const std::size_t sent = send_buffers_now(bufs, sent_ec);
                if (sent > 0 || (sent_ec && sent_ec != boost::asio::error::would_block)) {
                    show(outgoing(), bufs, sent);
                    boost::asio::post(ex, [h = std::move(handler), sent_ec, sent]() mutable {
                        std::move(h)(sent_ec, sent);
                    });
                    return;
                }
                socket_.async_write_some(bufs, boost::asio::bind_executor(ex,
                    [this, bufs, h = std::move(handler)](boost::system::error_code ec, std::size_t n) mutable {
                        show(outgoing(), bufs, n);
                        std::move(h)(ec, n);
                    }));
            },
            token, buffers);
    }

private:
    // One non-blocking sendmsg of up to 16 buffers (the rest go in a later write); 0 with
    // would_block when the socket's buffer is full or there is nothing to send.
    template <class ConstBuffers>
    std::size_t send_buffers_now(const ConstBuffers& bufs, boost::system::error_code& ec) {
        std::array<iovec, 16> iov;
        std::size_t count = 0;
        for (auto it = boost::asio::buffer_sequence_begin(bufs);
             it != boost::asio::buffer_sequence_end(bufs) && count < iov.size(); ++it) {
            const boost::asio::const_buffer b(*it);
            if (b.size() > 0) iov[count++] = {const_cast<void*>(b.data()), b.size()};
        }
        if (count == 0) {
            ec = boost::asio::error::would_block;  // let Asio complete an empty write
            return 0;
        }
        msghdr msg{};
        msg.msg_iov = iov.data();
        msg.msg_iovlen = count;
        const ssize_t n = call_now([&] { return ::sendmsg(socket_.native_handle(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL); }, ec);
        return n > 0 ? static_cast<std::size_t>(n) : 0;
    }

    template <class Call>
    static ssize_t call_now(Call call, boost::system::error_code& ec) {
        ssize_t n;
        do n = call();
        while (n < 0 && errno == EINTR);
        if (n >= 0) ec = {};
        else if (errno == EAGAIN || errno == EWOULDBLOCK) ec = boost::asio::error::would_block;
        else ec = boost::system::error_code(errno, boost::asio::error::get_system_category());
        return n;
    }

    template <class Buffers>
    void show(decoder::Dir dir, const Buffers& bufs, std::size_t n) {
        for (auto it = boost::asio::buffer_sequence_begin(bufs);
             n > 0 && it != boost::asio::buffer_sequence_end(bufs); ++it) {
            const boost::asio::const_buffer b(*it);
            const std::size_t take = b.size() < n ? b.size() : n;
            recorder_->wire(dir, {static_cast<const std::byte*>(b.data()), take});
            n -= take;
        }
    }

    socket_type socket_;
    LegRecorder* recorder_;
    decoder::Dir incoming_;
};

}  // namespace proxy
