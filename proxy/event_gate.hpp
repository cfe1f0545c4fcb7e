// The one door from the relay's I/O threads into the (single-threaded) event bus. Decoding
// SIP and writing events costs more than relaying the bytes, so it does not happen on the I/O
// threads: they post each leg's input (with its timestamp) here and go on relaying, and one
// decoder thread runs the posted work in the order it was posted. Events of different
// connections therefore never interleave inside a line, sequence numbers stay in order, and
// each connection's events come in the same order as when they were decoded inline.
//
// Wake-ups are coalesced: while traffic flows, the decoder thread wakes every kNap and takes
// what came meanwhile in one batch, instead of being woken by every post. A wake-up per SIP
// message put the decoder on a CPU exactly when the relayed message's receiver had to run,
// which on two cores cost more added latency than the decoding itself. Only a post into an
// idle gate (nothing for a whole nap), a large backlog, drain() and stopping wake it at once,
// so live output is never more than kNap behind the wire.
//
// An I/O thread that busy-polls (see busy_poll.hpp) also takes posted work, one piece at a time,
// while it waits for its peers (help()): the decoding then fills CPU time the poll loop spent
// yielding anyway, instead of arriving every kNap as one batch of a few hundred microseconds
// that pushed the next relayed record aside (most of the relay's p99). One runner at a time
// (`decoding_`) keeps the posting order; the decoder thread takes whatever is left.
//
// The decoder thread does not write the output either: its events go through an EventOutbox
// (see event_outbox.hpp), so a slow reader of stdout never holds up decoding, and through the
// backlog limit below, relaying. The decoders' bus only collects their events, which are then
// moved into the outbox after each piece of work: copying every SIP message (its raw bytes,
// header strings) into the outbox and freeing the original cost about a quarter of the
// decoder thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "decoder/model/event_bus.hpp"
#include "proxy/event_outbox.hpp"

namespace proxy {

class EventGate {
public:
    // `out`: where the events go, from a thread of the outbox's own.
    explicit EventGate(decoder::EventBus& out);
    // Runs what is still queued, then stops the decoder thread.
    ~EventGate();
    EventGate(const EventGate&) = delete;
    EventGate& operator=(const EventGate&) = delete;

    // The bus the decoders emit into; on the decoder thread only.
    decoder::EventBus& bus() { return bus_; }
    std::uint64_t next_conn_id() { return ++last_id_; }

    // Runs `work` on the decoder thread after everything posted before it. `bytes` is what the
    // work carries: past kMaxQueuedBytes of backlog the caller waits (backpressure instead of
    // unbounded memory when the decoder cannot keep up).
    void post(std::function<void()> work, std::size_t bytes = 0);
    // Returns once everything posted so far has run and its events have reached `out` (e.g.
    // before that bus ends).
    void drain();
    // On an I/O thread with nothing to relay: runs the oldest posted work if no other thread is
    // decoding. Returns whether it ran something. Does nothing unless helpers are allowed.
    bool help();
    // Off by default: posted work may then block (a pcap file's write) where an I/O thread must
    // not. Set before the I/O threads start.
    void allow_helpers(bool allow) { helpers_allowed_ = allow; }

    static decoder::Micros now() {
        using namespace std::chrono;
        return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    }

    static constexpr std::size_t kMaxQueuedBytes = 64 << 20;
    static constexpr auto kNap = std::chrono::milliseconds(2);
    // A backlog this large wakes the decoder before its nap ends (bursts stay cache-sized).
    static constexpr std::size_t kWakeBytes = 1 << 20;
    static constexpr std::size_t kWakeItems = 1024;

private:
    struct Item {
        std::function<void()> work;
        std::size_t bytes;
    };
    void run();
    bool flooded() const { return queue_.size() >= kWakeItems || queued_bytes_ >= kWakeBytes; }

    EventOutbox outbox_;
    decoder::EventBus bus_;  // collects into collected_, which goes to outbox_
    std::vector<decoder::Event> collected_;  // touched only while holding decoding_
    void hand_over();  // collected_ into the outbox; holding decoding_
    std::atomic<std::uint64_t> last_id_{0};
    std::mutex mutex_;
    std::condition_variable wake_, room_, idle_;
    // Accounts for work that ran (under mutex_) and tells drain() and post() about it.
    void ran(std::size_t items, std::size_t bytes);

    std::mutex decoding_;  // held while posted work runs, by the decoder thread or a helper
    std::deque<Item> queue_;
    std::atomic<std::size_t> queued_items_{0};  // queue_.size(), for help() to look without locking
    std::size_t queued_bytes_ = 0;
    bool helpers_allowed_ = false;
    bool helped_ = false;  // a helper ran work since the decoder thread last woke the outbox
    std::uint64_t posted_ = 0, done_ = 0;
    bool stop_ = false;
    bool asleep_ = false;   // waiting with no deadline: the next post must wake it
    unsigned hurry_ = 0;    // drain() calls waiting: end the nap now
    std::thread thread_;  // last: starts after the members above exist
};

}  // namespace proxy
