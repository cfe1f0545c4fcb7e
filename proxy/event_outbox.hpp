// Between the relay's decoder thread and the output (the pipeline bus: diagnosis, stdout,
// --html, --ladder-out, HEP). The output runs on a thread of its own, so a slow reader of
// stdout (a pipe nobody reads, a terminal scrolled back) stalls only the output: the decoder
// thread, and through it the I/O threads, never wait for it. What it cannot take yet waits in
// a queue bounded per connection: past kStalledQueuedPerConn events of one connection while
// the output has delivered nothing for kStall (a reader that does not read), or past
// kMaxQueuedPerConn in any case (memory), more are dropped and counted, and once there is room
// again a notice (`events-dropped`) says how many went missing. An output that is only slower
// for a while (a loaded machine, a sanitizer build) loses nothing. conn_open and conn_close are never dropped: every connection is still shown
// and summarised. Events keep the order in which they were decoded.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "decoder/model/event_bus.hpp"

namespace proxy {

class EventOutbox {
public:
    explicit EventOutbox(decoder::EventBus& out);
    // Delivers what is still queued, then stops the output thread.
    ~EventOutbox();
    EventOutbox(const EventOutbox&) = delete;
    EventOutbox& operator=(const EventOutbox&) = delete;

    // On the decoder thread: queues the events the decoder collected (see
    // EventBus::collect_into), or drops some (see above), moved in under one lock; never
    // waits. `events` is left empty.
    void take(std::vector<decoder::Event>& events);
    // On the decoder thread, after a batch of work: the output takes what was queued. (Not
    // per event: a wake-up of the output thread per SIP message would cost a CPU switch each.)
    void wake();
    // Returns once everything queued so far has reached the output bus.
    void drain();

    static constexpr std::size_t kStalledQueuedPerConn = 512;
    static constexpr std::size_t kMaxQueuedPerConn = 8192;
    static constexpr std::chrono::milliseconds kStall{1000};

private:
    struct PerConn {
        std::size_t queued = 0;
        std::uint64_t dropped = 0;  // since the last notice
    };
    void run();
    void admit(decoder::Event&& event);  // under mutex_
    void push(decoder::Event event, PerConn& per_conn);
    bool output_stalled() const;

    decoder::EventBus& out_;
    std::mutex mutex_;
    std::condition_variable wake_, idle_;
    std::deque<decoder::Event> queue_;
    std::unordered_map<std::uint64_t, PerConn> per_conn_;
    bool delivering_ = false;  // the output thread holds events taken off the queue
    // steady_clock nanoseconds when the output thread last took a batch or delivered an event.
    std::atomic<std::int64_t> last_progress_{0};
    bool stop_ = false;
    std::thread thread_;  // last: starts after the members above exist
};

// For the decoder and output threads, at their start: under realtime scheduling (the relay run
// with chrt), one priority below the relay's I/O threads, so that a batch of decoding never
// holds a CPU that a relayed record waits for; still above every normally scheduled job, so the
// events keep up on a busy machine. Does nothing under normal scheduling.
void rank_below_io_threads();

// The notice that stands for `dropped` events of one connection, in its place.
decoder::Event dropped_events_notice(const decoder::Event& next, std::uint64_t dropped);

}  // namespace proxy
