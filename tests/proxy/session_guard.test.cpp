// guard_session: an exception escaping a relay session becomes a relay-error notice on that
// connection, and goes no further. Nothing a peer sends makes a session throw (that is the
// point of the data plane's error codes), so this is tested here, in-process, with a session
// body that throws, rather than through a real relay.
#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <stdexcept>
#include <vector>

#include "decoder/model/event_bus.hpp"
#include "proxy/session_guard.hpp"

namespace {

namespace asio = boost::asio;

struct Recorder : decoder::EventSink {
    std::vector<decoder::Event> events;
    void on_event(const decoder::Event& e) override { events.push_back(e); }
};

asio::awaitable<void> throws_after_a_suspension() {
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    throw std::runtime_error("boom in the relay");
}

asio::awaitable<void> returns() { co_return; }

}  // namespace

TEST_CASE("[proxy] guard_session: an exception in a session is a relay-error notice on its legs", "[proxy][errors]") {
    const bool throwing = GENERATE(true, false);
    CAPTURE(throwing);
    decoder::EventBus bus;
    Recorder seen;
    bus.add_sink(seen);
    proxy::EventGate gate(bus);
    asio::io_context ioc;
    std::optional<bool> result;
    bool escaped = false;
    {
        proxy::LegRecorder client(gate, {"127.0.0.1", 40000}, {"127.0.0.1", 5061}, decoder::Transport::Tcp);
        std::optional<proxy::LegRecorder> upstream;
        upstream.emplace(gate, decoder::Endpoint{"127.0.0.1", 40001}, decoder::Endpoint{"127.0.0.1", 5062},
                         decoder::Transport::Tcp);
        asio::co_spawn(ioc, proxy::guard_session(throwing ? throws_after_a_suspension() : returns(), client, upstream),
                       [&](std::exception_ptr e, bool ok) {
                           escaped = e != nullptr;
                           result = ok;
                       });
        ioc.run();
        gate.drain();
        REQUIRE(result.has_value());
        CHECK(*result == !throwing);
        CHECK_FALSE(escaped);
        std::vector<std::uint64_t> told;
        for (const auto& e : seen.events)
            if (const auto* n = e.as<decoder::Notice>();
                n && n->what == "relay-error" && n->message.find("boom in the relay") != std::string::npos)
                told.push_back(e.conn);
        if (throwing) CHECK(told == std::vector<std::uint64_t>{client.id(), upstream->id()});
        else CHECK(told.empty());
    }
    gate.drain();
}
