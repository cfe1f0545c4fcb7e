// Runs an io_context like run(), but after each burst of work keeps polling it for a short
// window before blocking in epoll. On virtual machines an idle CPU halts, and waking it for
// the next record costs tens of microseconds per hop (here a loopback request/response costs
// about 100 us direct); a relay adds two hops each way. When the peers answer within the
// window, their record is picked up without a wake-up.
//
// The window adapts the way KVM's halt polling does: it grows when the thread went to sleep
// and work came soon after (polling a little longer would have caught it), and shrinks when
// the thread then slept a long time (polling was wasted). A relay whose peers answer slowly,
// or that is idle, therefore polls not at all; only one carrying quick exchanges spends CPU on
// it, and the poll loop yields the CPU to any other runnable thread.
//
// Nor does it poll while the thread relays a stream: records that keep coming from the same
// source (a pipelined burst of requests, their stream of responses) rather than alternating
// between the two sides of an exchange. Nobody waits on the other side for each of those
// records, so the thread then decodes what is posted (the idle work) and otherwise naps for
// the window's maximum (at most 1 ms), taking what came meanwhile in one go: polling through
// the gaps burnt a CPU for the whole burst, and so does a wake-up per record on this VM. The
// pumps report each relayed record (note_relayed); polling resumes with the first record from
// the other side.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>

namespace proxy {

class PollWindow {
public:
    using micros = std::chrono::microseconds;
    explicit PollWindow(micros max) : max_(max) {}

    micros current() const { return window_; }
    // The thread polled for the whole window in vain and then slept for `slept` until work came.
    void after_sleep(micros slept);

private:
    micros max_, window_{0};
};

// The sources of the records a thread relayed, most recent last: a stream is the same source
// kStreamRun times in a row.
class RelayPattern {
public:
    static constexpr unsigned kStreamRun = 4;  // an INVITE's 100, 180, 200 are still an exchange
    void relayed(const void* source) {
        run_ = source == last_ ? run_ + 1 : 1;
        last_ = source;
    }
    bool streaming() const { return run_ >= kStreamRun; }

private:
    const void* last_ = nullptr;
    unsigned run_ = 0;
};

// From a handler run by run_busy_polling: a record from `source` (a leg, any stable address)
// was relayed. Does nothing on other threads.
void note_relayed(const void* source) noexcept;

// Returns when the io_context is stopped or out of work. A zero maximum is plain run().
// `idle_work`, if given, is called while polling finds nothing to do (before yielding the CPU):
// a short piece of other work, returning whether there was any.
void run_busy_polling(boost::asio::io_context& ioc, std::chrono::microseconds max_window,
                      const std::function<bool()>& idle_work = {});

}  // namespace proxy
