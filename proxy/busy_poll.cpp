#include "proxy/busy_poll.hpp"

#include <algorithm>
#include <sched.h>

namespace proxy {

void PollWindow::after_sleep(micros slept) {
    if (slept < max_) {
        // Work came back within what we may poll: poll longer next time (from an eighth, doubling).
        window_ = std::clamp(window_ * 2, max_ / 8, max_);
    } else {
        window_ /= 2;
        if (window_ < max_ / 8) window_ = micros(0);
    }
}

void run_busy_polling(boost::asio::io_context& ioc, std::chrono::microseconds max_window,
                      const std::function<bool()>& idle_work) {
    if (max_window.count() <= 0) {
        ioc.run();
        return;
    }
    using clock = std::chrono::steady_clock;
    PollWindow window(max_window);
    auto last_work = clock::now();
    for (;;) {
        // poll() also asks epoll, without blocking, whether a socket became ready.
        if (ioc.poll() > 0) {
            last_work = clock::now();
            continue;
        }
        if (ioc.stopped()) return;
        if (clock::now() - last_work < window.current()) {
            if (idle_work) idle_work();
            sched_yield();  // polling must not delay another thread that could run here
            continue;
        }
        const auto asleep = clock::now();
        if (ioc.run_one() == 0) return;
        last_work = clock::now();
        window.after_sleep(std::chrono::duration_cast<std::chrono::microseconds>(last_work - asleep));
    }
}

}  // namespace proxy
