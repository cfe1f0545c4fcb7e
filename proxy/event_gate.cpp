#include "proxy/event_gate.hpp"

#include <pthread.h>

namespace proxy {

EventGate::EventGate(decoder::EventBus& out) : outbox_(out), thread_([this] { run(); }) {
    bus_.add_sink(outbox_);
}

EventGate::~EventGate() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void EventGate::post(std::function<void()> work, std::size_t bytes) {
    std::unique_lock lock(mutex_);
    // A single item larger than the limit still goes through once the queue is empty.
    room_.wait(lock, [&] { return queued_bytes_ == 0 || queued_bytes_ + bytes <= kMaxQueuedBytes; });
    queue_.push_back({std::move(work), bytes});
    queued_bytes_ += bytes;
    ++posted_;
    const bool wake = asleep_ || flooded();  // otherwise the decoder's nap ends soon enough
    asleep_ = false;
    lock.unlock();
    if (wake) wake_.notify_one();
}

void EventGate::drain() {
    std::unique_lock lock(mutex_);
    const auto target = posted_;
    ++hurry_;
    wake_.notify_one();
    idle_.wait(lock, [&] { return done_ >= target; });
    --hurry_;
    lock.unlock();
    outbox_.drain();
}

void EventGate::run() {
    pthread_setname_np(pthread_self(), "siptap-events");  // for per-thread CPU in top/ps/bench
    std::vector<Item> batch;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            // Nap first, so that what arrives meanwhile is taken in one batch.
            wake_.wait_for(lock, kNap, [&] { return stop_ || hurry_ > 0 || flooded(); });
            if (queue_.empty() && !stop_) {
                asleep_ = true;  // nothing for a whole nap: sleep until a post wakes us
                wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
                asleep_ = false;
            }
            if (queue_.empty()) return;  // stopping, nothing left
            batch.swap(queue_);
        }
        std::size_t bytes = 0;
        for (auto& item : batch) {
            item.work();
            bytes += item.bytes;
        }
        {
            std::lock_guard lock(mutex_);
            queued_bytes_ -= bytes;
            done_ += batch.size();
        }
        batch.clear();
        outbox_.wake();
        room_.notify_all();
        idle_.notify_all();
    }
}

}  // namespace proxy
