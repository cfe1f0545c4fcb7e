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

// Returns when the io_context is stopped or out of work. A zero maximum is plain run().
// `idle_work`, if given, is called while polling finds nothing to do (before yielding the CPU):
// a short piece of other work, returning whether there was any.
void run_busy_polling(boost::asio::io_context& ioc, std::chrono::microseconds max_window,
                      const std::function<bool()>& idle_work = {});

}  // namespace proxy
