// The one door from the relay's I/O threads into the (single-threaded) event bus. Decoding
// SIP and writing events costs more than relaying the bytes, so it does not happen on the I/O
// threads: they post each leg's input (with its timestamp) here and go on relaying, and one
// decoder thread runs the posted work in the order it was posted. Events of different
// connections therefore never interleave inside a line, sequence numbers stay in order, and
// each connection's events come in the same order as when they were decoded inline.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "decoder/event_bus.hpp"

namespace proxy {

class EventGate {
public:
    explicit EventGate(decoder::EventBus& bus);
    // Runs what is still queued, then stops the decoder thread.
    ~EventGate();
    EventGate(const EventGate&) = delete;
    EventGate& operator=(const EventGate&) = delete;

    decoder::EventBus& bus() { return bus_; }
    std::uint64_t next_conn_id() { return ++last_id_; }

    // Runs `work` on the decoder thread after everything posted before it. `bytes` is what the
    // work carries: past kMaxQueuedBytes of backlog the caller waits (backpressure instead of
    // unbounded memory when the decoder cannot keep up).
    void post(std::function<void()> work, std::size_t bytes = 0);
    // Returns once everything posted so far has run (e.g. before the bus ends).
    void drain();

    static decoder::Micros now() {
        using namespace std::chrono;
        return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    }

    static constexpr std::size_t kMaxQueuedBytes = 64 << 20;

private:
    struct Item {
        std::function<void()> work;
        std::size_t bytes;
    };
    void run();

    decoder::EventBus& bus_;
    std::atomic<std::uint64_t> last_id_{0};
    std::mutex mutex_;
    std::condition_variable wake_, room_, idle_;
    std::vector<Item> queue_;
    std::size_t queued_bytes_ = 0;
    std::uint64_t posted_ = 0, done_ = 0;
    bool stop_ = false;
    std::thread thread_;  // last: starts after the members above exist
};

}  // namespace proxy
