#include "proxy/tls_leg.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <new>
#include <openssl/err.h>
#include <cerrno>
#include <unistd.h>

#include "proxy/tls_hooks.hpp"

namespace proxy {

namespace asio = boost::asio;
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

TlsLeg::BioContext& bio_context_of(BIO* bio) { return *static_cast<TlsLeg::BioContext*>(BIO_get_data(bio)); }

int bio_write(BIO* bio, const char* data, int size) {
    BIO_clear_retry_flags(bio);
    auto& t = bio_context_of(bio);
    error_code ec;
    const std::size_t n = t.socket->send_now(data, static_cast<std::size_t>(size), ec, t.fd);
    if (ec == asio::error::would_block) BIO_set_retry_write(bio);
    else if (ec) t.error = ec;
    return ec ? -1 : static_cast<int>(n);
}

int bio_read(BIO* bio, char* data, int size) {
    BIO_clear_retry_flags(bio);
    auto& t = bio_context_of(bio);
    error_code ec;
    const std::size_t n = t.socket->receive_now(data, static_cast<std::size_t>(size), ec, t.fd);
    if (ec == asio::error::would_block) {
        BIO_set_retry_read(bio);
        return -1;
    }
    if (ec) t.error = ec;
    if (ec == asio::error::eof) return 0;
    return ec ? -1 : static_cast<int>(n);
}

long bio_ctrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

int bio_create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
}

BIO_METHOD* tapped_socket_bio() {
    static BIO_METHOD* const method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "siptap tapped socket");
        if (!m) return m;
        BIO_meth_set_write(m, bio_write);
        BIO_meth_set_read(m, bio_read);
        BIO_meth_set_ctrl(m, bio_ctrl);
        BIO_meth_set_create(m, bio_create);
        return m;
    }();
    return method;
}

}  // namespace

TlsLeg::TlsLeg(TappedSocket socket, asio::ssl::context& context)
    : socket_(std::move(socket)), bio_context_{&socket_, {}, -1}, ssl_(SSL_new(context.native_handle())) {
    BIO* bio = tapped_socket_bio() ? BIO_new(tapped_socket_bio()) : nullptr;
    if (!ssl_ || !bio) {
        BIO_free(bio);
        SSL_free(ssl_);
        throw std::bad_alloc();
    }
    BIO_set_data(bio, &bio_context_);
    SSL_set_bio(ssl_, bio, bio);
    // As asio::ssl::stream did, plus read-ahead: one recv per burst of records, not two per record.
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    SSL_set_read_ahead(ssl_, 1);
}

TlsLeg::~TlsLeg() { SSL_free(ssl_); }

void TlsLeg::clear_errors() {
    ERR_clear_error();
    bio_context_.error = {};
}

TlsLeg::Wait TlsLeg::classify(int ret, error_code& ec) {
    ec = {};
    switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_NONE: return Wait::None;
    case SSL_ERROR_WANT_READ: return Wait::Read;
    case SSL_ERROR_WANT_WRITE: return Wait::Write;
    case SSL_ERROR_ZERO_RETURN: ec = asio::error::eof; return Wait::None;
    case SSL_ERROR_WANT_X509_LOOKUP:
    case SSL_ERROR_WANT_RETRY_VERIFY:
    case SSL_ERROR_WANT_CLIENT_HELLO_CB: ec = asio::error::in_progress; return Wait::None;
    default: break;
    }
    if (bio_context_.error == asio::error::eof) ec = asio::ssl::error::stream_truncated;
    else if (bio_context_.error) ec = bio_context_.error;
    else if (const unsigned long e = ERR_get_error()) ec = error_code(static_cast<int>(e), asio::error::get_ssl_category());
    else ec = asio::ssl::error::unspecified_system_error;
    return Wait::None;
}

asio::awaitable<error_code> TlsLeg::wait(Wait w) {
    auto& s = socket_.socket();
    auto [ec] = co_await s.async_wait(w == Wait::Read ? s.wait_read : s.wait_write, kTuple);
    co_return ec;
}

TlsLeg::Wait TlsLeg::handshake_step(Role role, error_code& ec) {
    clear_errors();
    const int r = role == Role::Client ? SSL_connect(ssl_) : SSL_accept(ssl_);
    ec = {};
    return r == 1 ? Wait::None : classify(r, ec);
}

asio::awaitable<error_code> TlsLeg::handshake(Role role) {
    for (;;) {
        error_code ec;
        const Wait w = handshake_step(role, ec);
        if (w == Wait::None) co_return ec;
        if (auto wec = co_await wait(w)) co_return wec;
    }
}

asio::awaitable<error_code> TlsLeg::handshake_on(asio::thread_pool::executor_type steps, Role role) {
    for (;;) {
        // The step runs on its own duplicate of the descriptor: the watchdog may close the
        // socket meanwhile (on the I/O thread), and its number must not be reused under the step.
        struct Duplicate {
            BioContext& t;
            ~Duplicate() {
                if (t.fd >= 0) ::close(t.fd);
                t.fd = -1;
            }
        };
        bio_context_.fd = ::dup(socket_.socket().native_handle());
        if (bio_context_.fd < 0) co_return error_code(errno, asio::error::get_system_category());
        error_code ec;
        Wait w = Wait::None;
        {
            Duplicate closes{bio_context_};
            co_await asio::co_spawn(steps, [&]() -> asio::awaitable<void> {
                w = handshake_step(role, ec);
                co_return;
            }, asio::use_awaitable);
        }
        if (w == Wait::None) co_return ec;
        if (auto wec = co_await wait(w)) co_return wec;
    }
}

asio::awaitable<std::tuple<error_code, std::size_t>> TlsLeg::read_some(std::span<char> buf) {
    for (;;) {
        clear_errors();
        std::size_t n = 0;
        const int r = SSL_read_ex(ssl_, buf.data(), buf.size(), &n);
        if (r == 1) co_return std::tuple{error_code{}, n};
        error_code ec;
        const Wait w = classify(r, ec);
        if (w == Wait::None) co_return std::tuple{ec, std::size_t{0}};
        if (auto wec = co_await wait(w)) co_return std::tuple{wec, std::size_t{0}};
    }
}

asio::awaitable<error_code> TlsLeg::wait_readable() {
    if (SSL_has_pending(ssl_)) co_return error_code{};
    co_return co_await wait(Wait::Read);
}

asio::awaitable<error_code> TlsLeg::write_all(std::span<const char> data) {
    while (!data.empty()) {
        clear_errors();
        std::size_t n = 0;
        const int r = SSL_write_ex(ssl_, data.data(), data.size(), &n);
        if (r == 1) {
            data = data.subspan(n);
            continue;
        }
        error_code ec;
        const Wait w = classify(r, ec);
        if (w == Wait::None) co_return ec ? ec : asio::error::broken_pipe;
        if (auto wec = co_await wait(w)) co_return wec;
    }
    co_return error_code{};
}

asio::awaitable<error_code> TlsLeg::shutdown() {
    for (;;) {
        clear_errors();
        int r = SSL_shutdown(ssl_);
        if (r == 0) r = SSL_shutdown(ssl_);  // sent ours: now wait for the peer's
        if (r == 1) co_return error_code{};
        error_code ec;
        const Wait w = classify(r, ec);
        if (w == Wait::None) co_return ec;
        if (auto wec = co_await wait(w)) co_return wec;
    }
}

TlsLeg::Wait TlsLeg::verdict_read(const TlsLegHooks& hooks, std::string& early, error_code& ec) {
    std::array<char, 16 * 1024> buf;
    clear_errors();
    std::size_t n = 0;
    ec = {};
    if (SSL_read_ex(ssl_, buf.data(), buf.size(), &n) == 1) {
        early.append(buf.data(), n);
        return Wait::None;
    }
    const Wait w = classify(0, ec);
    // A NewSessionTicket is sent only after the server has accepted our Finished: no need to wait on.
    return w == Wait::Read && hooks.ticket_received ? Wait::None : w;
}

asio::awaitable<error_code> TlsLeg::await_verdict(const TlsLegHooks& hooks, std::chrono::steady_clock::time_point deadline,
                                                  std::string& early) {
    asio::steady_timer timer(socket_.get_executor(), deadline);
    auto& s = socket_.socket();
    for (;;) {
        error_code ec;
        const Wait w = verdict_read(hooks, early, ec);
        if (w == Wait::None) co_return ec;
        auto which = co_await (s.async_wait(w == Wait::Read ? s.wait_read : s.wait_write, kTuple) ||
                               timer.async_wait(kTuple));
        if (which.index() == 1) co_return error_code{};  // no verdict in time: accepted
        if (auto [wec] = std::get<0>(which); wec) co_return wec;
    }
}

}  // namespace proxy
