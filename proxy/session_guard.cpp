#include "proxy/session_guard.hpp"

#include <exception>
#include <string>

namespace proxy {

namespace {

void report(LegRecorder& leg, const std::string& what) noexcept {
    try {
        leg.payload(decoder::Dir::ServerToClient,
                    decoder::Notice{"relay-error", "internal error in the relay of this connection (" + what +
                                                       "); it was closed, the relay goes on with the others"});
    } catch (...) {  // out of memory for the text
    }
}

}  // namespace

boost::asio::awaitable<bool> guard_session(boost::asio::awaitable<void> body, LegRecorder& client,
                                           std::optional<LegRecorder>& upstream) {
    std::string what;
    try {
        co_await std::move(body);
        co_return true;
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
        what = "an exception of unknown type";
    }
    report(client, what);
    if (upstream) report(*upstream, what);
    co_return false;
}

}  // namespace proxy
