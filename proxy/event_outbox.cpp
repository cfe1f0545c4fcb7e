#include "proxy/event_outbox.hpp"

#include <pthread.h>
#include <sched.h>
#include <string>
#include <vector>

namespace proxy {

namespace {

bool structural(const decoder::Event& e) {
    return e.as<decoder::ConnOpen>() != nullptr || e.as<decoder::ConnClose>() != nullptr;
}

std::int64_t steady_nanos() { return std::chrono::steady_clock::now().time_since_epoch().count(); }

}  // namespace

void rank_below_io_threads() {
    int policy = 0;
    sched_param param{};
    if (pthread_getschedparam(pthread_self(), &policy, &param) != 0) return;
    if ((policy == SCHED_FIFO || policy == SCHED_RR) && param.sched_priority > sched_get_priority_min(policy)) {
        --param.sched_priority;
        pthread_setschedparam(pthread_self(), policy, &param);  // best effort: a failure changes nothing
    }
}

decoder::Event dropped_events_notice(const decoder::Event& next, std::uint64_t dropped) {
    decoder::Event e;
    e.ts = next.ts;
    e.conn = next.conn;
    e.src = next.src;
    e.dst = next.dst;
    e.transport = next.transport;
    e.payload = decoder::Notice{
        "events-dropped", std::to_string(dropped) + " event(s) of this connection were dropped here: the output "
                          "(stdout or a report) did not keep up; the relay forwarded every byte regardless"};
    return e;
}

EventOutbox::EventOutbox(decoder::EventBus& out) : out_(out), thread_([this] { run(); }) {}

EventOutbox::~EventOutbox() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void EventOutbox::push(decoder::Event event, PerConn& per_conn) {
    queue_.push_back(std::move(event));
    ++per_conn.queued;
}

// Only while delivering: an idle output thread is not stalled, only not woken yet.
bool EventOutbox::output_stalled() const {
    return delivering_ && steady_nanos() - last_progress_.load(std::memory_order_relaxed) >
           std::chrono::nanoseconds(kStall).count();
}

void EventOutbox::take(std::vector<decoder::Event>& events) {
    if (events.empty()) return;
    {
        std::lock_guard lock(mutex_);
        for (auto& e : events) admit(std::move(e));
    }
    events.clear();
}

void EventOutbox::admit(decoder::Event&& event) {
    PerConn& c = per_conn_[event.conn];
    if (c.queued >= kStalledQueuedPerConn && !structural(event) &&
        (c.queued >= kMaxQueuedPerConn || output_stalled())) {
        ++c.dropped;
        return;
    }
    if (c.dropped > 0) {
        push(dropped_events_notice(event, c.dropped), c);
        c.dropped = 0;
    }
    push(std::move(event), c);
}

void EventOutbox::wake() { wake_.notify_one(); }

void EventOutbox::drain() {
    std::unique_lock lock(mutex_);
    wake_.notify_one();
    idle_.wait(lock, [&] { return queue_.empty() && !delivering_; });
}

void EventOutbox::run() {
    pthread_setname_np(pthread_self(), "siptap-output");
    rank_below_io_threads();
    std::deque<decoder::Event> batch;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            delivering_ = false;
            idle_.notify_all();
            wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, nothing left
            batch.swap(queue_);
            delivering_ = true;
            last_progress_.store(steady_nanos(), std::memory_order_relaxed);
            // Room again for what the decoder is about to send: the batch is the output's now.
            for (const auto& e : batch) {
                auto it = per_conn_.find(e.conn);
                if (--it->second.queued == 0 && it->second.dropped == 0) per_conn_.erase(it);
            }
        }
        decoder::EventBus::Batch flush_once(out_);  // the sinks flush once per batch
        for (auto& e : batch) {
            try {
                out_.emit(std::move(e));
            } catch (...) {  // a sink that failed says so itself (see Pipeline::finish)
            }
            last_progress_.store(steady_nanos(), std::memory_order_relaxed);
        }
        batch.clear();
    }
}

}  // namespace proxy
