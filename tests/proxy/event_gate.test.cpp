// EventGate's helpers (I/O threads decoding while they poll): posted work still runs one piece
// at a time and in posting order, whoever runs it, and drain() sees what the helpers ran.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "decoder/model/event_bus.hpp"
#include "proxy/event_gate.hpp"

TEST_CASE("[proxy] event gate: helpers are off unless allowed", "[proxy][busy-poll]") {
    decoder::EventBus bus;
    proxy::EventGate gate(bus);
    std::atomic<int> ran{0};
    gate.post([&] { ++ran; });
    CHECK_FALSE(gate.help());  // the decoder thread runs it, within a nap
    gate.drain();
    CHECK(ran == 1);
}

TEST_CASE("[proxy] event gate: work run by helpers and the decoder thread keeps posting order, one at a time",
          "[proxy][busy-poll]") {
    decoder::EventBus bus;
    proxy::EventGate gate(bus);
    gate.allow_helpers(true);
    constexpr int kItems = 20000;
    std::vector<int> order;  // touched by the posted work only
    std::atomic<int> running{0}, overlaps{0}, helped{0};
    std::atomic<bool> done{false};
    auto helper = [&] {
        while (!done) {
            if (gate.help()) ++helped;
        }
    };
    std::thread h1(helper), h2(helper);
    for (int i = 0; i < kItems; ++i) {
        gate.post([&, i] {
            if (running.fetch_add(1) != 0) ++overlaps;
            // Long enough (a few us, like decoding a record) for a second runner to show up.
            const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(5);
            while (std::chrono::steady_clock::now() < until) {
            }
            order.push_back(i);
            running.fetch_sub(1);
        });
        if (i % 1000 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(3));  // let the decoder thread nap
    }
    gate.drain();  // everything posted has run once this returns
    done = true;
    h1.join();
    h2.join();
    REQUIRE(order.size() == static_cast<std::size_t>(kItems));
    bool in_order = true;
    for (int i = 0; i < kItems; ++i) in_order = in_order && order[static_cast<std::size_t>(i)] == i;
    CHECK(in_order);
    CHECK(overlaps == 0);
    CHECK(helped > 0);  // the helpers did take work
}
