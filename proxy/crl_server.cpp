#include "proxy/crl_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <stdexcept>

#include "proxy/bound_acceptor.hpp"
#include "proxy/empty_crl.hpp"

namespace proxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kRequestTimeout = std::chrono::seconds(5);
constexpr std::size_t kMaxRequest = 8192;
constexpr std::size_t kMaxConnections = 32;

using Response = http::response<http::string_body>;

Response text_response(http::status status, unsigned version, const char* text) {
    Response res{status, version};
    res.set(http::field::content_type, "text/plain");
    res.body() = text;
    res.prepare_payload();
    return res;
}
}  // namespace

// Lives as long as the accept loop or a connection uses it, so destroying the relay (whose
// io_context then drops what was still waiting) never leaves a coroutine pointing at freed memory.
struct CrlServer::State : std::enable_shared_from_this<State> {
    explicit State(asio::io_context& ioc) : acceptor(ioc) {}
    tcp::acceptor acceptor;
    std::string base;                      // "http://ADDR:PORT"
    std::map<std::string, EmptyCrl*> crls;  // by path; filled before start()
    std::size_t open = 0;                   // connections being served; on the io_context's thread

    asio::awaitable<void> accept_loop();
    asio::awaitable<void> serve_one(tcp::socket socket);
    Response respond(const http::request<http::empty_body>& req) const;
};

asio::awaitable<void> CrlServer::State::accept_loop() {
    auto self = shared_from_this();
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(kTuple);
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        if (ec) continue;  // a client that reset before accept(); descriptors are the relay's concern
        if (open >= kMaxConnections) continue;  // the socket closes as it goes out of scope
        ++open;
        asio::co_spawn(acceptor.get_executor(), serve_one(std::move(socket)),
                       [self](std::exception_ptr) { --self->open; });
    }
}

asio::awaitable<void> CrlServer::State::serve_one(tcp::socket socket) {
    auto self = shared_from_this();
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(kRequestTimeout);
    beast::flat_buffer buffer(kMaxRequest);
    http::request_parser<http::empty_body> parser;
    parser.header_limit(kMaxRequest);
    auto [read_ec, read_n] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (read_ec) co_return;  // incomplete, too big, timed out or not HTTP: nothing to answer
    Response res = respond(parser.get());
    res.keep_alive(false);
    co_await http::async_write(stream, res, kTuple);  // a client gone meanwhile is its own loss
    boost::system::error_code ignore;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignore);
}

Response CrlServer::State::respond(const http::request<http::empty_body>& req) const {
    const unsigned v = req.version();
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
        Response res = text_response(http::status::method_not_allowed, v, "GET or HEAD only\n");
        res.set(http::field::allow, "GET, HEAD");
        return res;
    }
    std::string path(req.target());
    path = path.substr(0, path.find('?'));  // a cache-busting query names the same CRL
    const auto it = crls.find(path);
    if (it == crls.end()) return text_response(http::status::not_found, v, "no such CRL\n");
    Response res{http::status::ok, v};
    res.set(http::field::content_type, "application/pkix-crl");
    try {
        res.body() = it->second->der();
    } catch (const std::exception&) {  // OpenSSL could not sign: a verifier then fails as without a CRL
        return text_response(http::status::internal_server_error, v, "cannot sign the CRL\n");
    }
    res.prepare_payload();
    if (req.method() == http::verb::head) res.body().clear();  // Content-Length stays the CRL's
    return res;
}

CrlServer::CrlServer(asio::io_context& ioc, const HostPort& where) : state_(std::make_shared<State>(ioc)) {
    const std::string named = "--crl-listen " + where.host + ":" + std::to_string(where.port);
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(where.host, ec);
    if (ec) throw std::runtime_error(named + ": not an IP address");
    if (address.is_unspecified())
        throw std::runtime_error(named + ": the URL in forged certificates needs the address peers fetch it from, "
                                         "not an unspecified one");
    auto& acceptor = state_->acceptor;
    bind_acceptor(acceptor, tcp::endpoint(address, where.port), named);
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error(named + ": " + ec.message());
    const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
    state_->base = "http://" + host + ":" + std::to_string(acceptor.local_endpoint().port());
}

CrlServer::~CrlServer() = default;

std::string CrlServer::serve(const std::string& path, EmptyCrl& crl) {
    state_->crls[path] = &crl;
    return state_->base + path;
}

void CrlServer::start() {
    asio::co_spawn(state_->acceptor.get_executor(), state_->accept_loop(), asio::detached);
}

void CrlServer::stop() {
    asio::post(state_->acceptor.get_executor(), [state = state_] {
        boost::system::error_code ignore;
        state->acceptor.close(ignore);
    });
}

std::uint16_t CrlServer::port() const {
    boost::system::error_code ec;
    return state_->acceptor.local_endpoint(ec).port();
}

}  // namespace proxy
