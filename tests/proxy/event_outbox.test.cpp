// The relay's output queue: an output that is slow but moving loses nothing; one that is
// stuck (a reader of stdout that does not read) costs events of that connection only, and a
// notice counts them.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "proxy/event_outbox.hpp"

namespace {

using namespace std::chrono_literals;

// Counts what reaches the output; can be made to sleep per event or to block until released.
class SlowSink : public decoder::EventSink {
public:
    void on_event(const decoder::Event& e) override {
        std::unique_lock lock(mutex_);
        released_.wait(lock, [&] { return !blocked_; });
        if (const auto* n = e.as<decoder::Notice>(); n && n->what == "events-dropped")
            dropped_reported_ += std::stoull(n->message);
        else
            ++delivered_;
        lock.unlock();
        std::this_thread::sleep_for(per_event_);
    }
    void block() {
        std::lock_guard lock(mutex_);
        blocked_ = true;
    }
    void release() {
        {
            std::lock_guard lock(mutex_);
            blocked_ = false;
        }
        released_.notify_all();
    }
    std::chrono::microseconds per_event_{0};
    std::size_t delivered() {
        std::lock_guard lock(mutex_);
        return delivered_;
    }
    std::uint64_t dropped_reported() {
        std::lock_guard lock(mutex_);
        return dropped_reported_;
    }

private:
    std::mutex mutex_;
    std::condition_variable released_;
    bool blocked_ = false;
    std::size_t delivered_ = 0;
    std::uint64_t dropped_reported_ = 0;
};

decoder::Event sip_event(std::uint64_t conn) {
    decoder::Event e;
    e.conn = conn;
    e.payload = decoder::SipMessage{};
    return e;
}

// One event, as the decoder thread hands over a batch.
void put(proxy::EventOutbox& outbox, decoder::Event e) {
    std::vector<decoder::Event> batch;
    batch.push_back(std::move(e));
    outbox.take(batch);
}

}  // namespace

TEST_CASE("[proxy] the output queue: slow but moving loses nothing, stuck drops and counts", "[proxy][errors]") {
    decoder::EventBus out;
    SlowSink sink;
    out.add_sink(sink);
    constexpr std::size_t kEvents = 4 * proxy::EventOutbox::kStalledQueuedPerConn;

    SECTION("an output slower than the decoder for a while") {
        sink.per_event_ = 200us;  // 4 x 512 events: ~0.4 s behind at the worst, never stuck
        {
            proxy::EventOutbox outbox(out);
            for (std::size_t i = 0; i < kEvents; ++i) {
                put(outbox, sip_event(1));
                if (i % 64 == 0) outbox.wake();
            }
            outbox.drain();
        }
        CHECK(sink.delivered() == kEvents);
        CHECK(sink.dropped_reported() == 0);
    }

    SECTION("an output stuck for longer than kStall") {
        proxy::EventOutbox outbox(out);
        sink.block();
        put(outbox, sip_event(1));  // the output thread takes it and blocks in the sink
        outbox.wake();
        std::this_thread::sleep_for(proxy::EventOutbox::kStall + 200ms);
        for (std::size_t i = 1; i < kEvents; ++i) put(outbox, sip_event(1));
        put(outbox, sip_event(2));  // another connection still has room
        sink.release();
        outbox.wake();
        outbox.drain();
        put(outbox, sip_event(1));  // room again: the notice goes first, with the count
        outbox.drain();
        const std::size_t kept = 1 + proxy::EventOutbox::kStalledQueuedPerConn;  // of connection 1
        CHECK(sink.delivered() == kept + 2);
        CHECK(sink.dropped_reported() == kEvents - kept);
    }
}
