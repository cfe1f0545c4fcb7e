#include "proxy/busy_poll.hpp"

#include <algorithm>
#include <sched.h>
#include <thread>

namespace proxy {

namespace {
thread_local RelayPattern* this_thread_pattern = nullptr;
// A large --busy-poll (up to 100 ms) must not hold a stream's records that long.
constexpr std::chrono::microseconds kLongestStreamNap{1000};
}  // namespace

void note_relayed(const void* source) noexcept {
    if (this_thread_pattern) this_thread_pattern->relayed(source);
}

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
    RelayPattern pattern;
    this_thread_pattern = &pattern;
    struct Forget {
        ~Forget() { this_thread_pattern = nullptr; }
    } forget;
    auto last_work = clock::now();
    bool napped = false;  // the last stream nap brought nothing
    for (;;) {
        // poll() also asks epoll, without blocking, whether a socket became ready.
        if (ioc.poll() > 0) {
            last_work = clock::now();
            napped = false;
            continue;
        }
        if (ioc.stopped()) return;
        if (pattern.streaming()) {
            if (!napped) {
                // Decode what waits, else nap for the window's maximum and take what came
                // meanwhile in one go (a wake-up per record costs this VM as much CPU as
                // polling); a nap that brings nothing means the stream has ended: sleep until
                // work comes.
                if (idle_work && idle_work()) continue;
                std::this_thread::sleep_for(std::min(max_window, kLongestStreamNap));
                napped = true;
                continue;
            }
        } else if (clock::now() - last_work < window.current()) {
            if (idle_work) idle_work();
            sched_yield();  // polling must not delay another thread that could run here
            continue;
        }
        const auto asleep = clock::now();
        if (ioc.run_one() == 0) return;
        last_work = clock::now();
        napped = false;
        window.after_sleep(std::chrono::duration_cast<std::chrono::microseconds>(last_work - asleep));
    }
}

}  // namespace proxy
