#include "proxy/event_gate.hpp"

#include <pthread.h>
#include <utility>

namespace proxy {

EventGate::EventGate(decoder::EventBus& out) : outbox_(out), thread_([this] { run(); }) {
    // Before any work is posted, so before the decoder thread or a helper can emit.
    bus_.collect_into(&collected_);
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
    queued_items_.store(queue_.size(), std::memory_order_relaxed);
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

void EventGate::ran(std::size_t items, std::size_t bytes) {
    {
        std::lock_guard lock(mutex_);
        queued_bytes_ -= bytes;
        done_ += items;
    }
    room_.notify_all();
    idle_.notify_all();
}

void EventGate::hand_over() {
    outbox_.take(collected_);
    // A large batch's vector is not kept for the relay's life.
    if (collected_.capacity() > kWakeItems) collected_ = {};
}

bool EventGate::help() {
    if (!helpers_allowed_ || queued_items_.load(std::memory_order_relaxed) == 0) return false;
    std::unique_lock decoding(decoding_, std::try_to_lock);
    if (!decoding) return false;
    Item item;
    {
        std::lock_guard lock(mutex_);
        if (queue_.empty()) return false;
        item = std::move(queue_.front());
        queue_.pop_front();
        queued_items_.store(queue_.size(), std::memory_order_relaxed);
        helped_ = true;
    }
    item.work();
    item.work = nullptr;  // what it held (a leg's decoder state) is released while still decoding
    hand_over();
    decoding.unlock();
    ran(1, item.bytes);
    return true;
}

void EventGate::run() {
    pthread_setname_np(pthread_self(), "siptap-events");  // for per-thread CPU in top/ps/bench
    rank_below_io_threads();
    std::deque<Item> batch;
    for (;;) {
        bool wake_outbox = false;
        {
            std::unique_lock lock(mutex_);
            // Nap first, so that what arrives meanwhile is taken in one batch.
            wake_.wait_for(lock, kNap, [&] { return stop_ || hurry_ > 0 || flooded(); });
            if (queue_.empty() && !stop_ && !helped_) {
                asleep_ = true;  // nothing for a whole nap: sleep until a post wakes us
                // (A helper may take that post's work before we look: its events need the wake-up below.)
                wake_.wait(lock, [&] { return stop_ || !queue_.empty() || helped_; });
                asleep_ = false;
            }
            // The helpers decoded it all: their events still need the output's wake-up.
            if (queue_.empty() && !stop_) wake_outbox = std::exchange(helped_, false);
        }
        if (wake_outbox) {
            outbox_.wake();
            continue;
        }
        // The batch is taken while decoding: a helper must not run later work before it.
        std::lock_guard decoding(decoding_);
        {
            std::lock_guard lock(mutex_);
            if (queue_.empty()) {
                if (stop_) return;  // stopping, nothing left
                continue;           // a helper took it meanwhile
            }
            batch.swap(queue_);
            queued_items_.store(0, std::memory_order_relaxed);
            helped_ = false;
        }
        std::size_t bytes = 0;
        const std::size_t items = batch.size();
        for (auto& item : batch) {
            item.work();
            bytes += item.bytes;
            hand_over();  // per item: the vector stays small (a batch's would be faulted in anew each time)
        }
        batch.clear();
        ran(items, bytes);
        outbox_.wake();
    }
}

}  // namespace proxy
