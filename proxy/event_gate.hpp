// The one door from the relay's threads into the (single-threaded) event bus: every decoder
// call of every connection leg goes through it under one mutex, so events of different
// connections never interleave inside a line and sequence numbers stay in order.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

#include "decoder/event_bus.hpp"

namespace proxy {

class EventGate {
public:
    explicit EventGate(decoder::EventBus& bus) : bus_(bus) {}

    decoder::EventBus& bus() { return bus_; }
    std::mutex& mutex() { return mutex_; }
    std::uint64_t next_conn_id() { return ++last_id_; }

    static decoder::Micros now() {
        using namespace std::chrono;
        return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    }

private:
    decoder::EventBus& bus_;
    std::mutex mutex_;
    std::atomic<std::uint64_t> last_id_{0};
};

}  // namespace proxy
