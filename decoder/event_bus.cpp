#include "decoder/event_bus.hpp"

#include <utility>

namespace decoder {

std::uint64_t EventBus::emit(Event event) {
    event.seq = next_seq_++;
    const auto seq = event.seq;
    queue_.push_back(std::move(event));
    if (!dispatching_) drain();
    return seq;
}

void EventBus::drain() {
    dispatching_ = true;
    while (!queue_.empty()) {
        Event event = std::move(queue_.front());
        queue_.pop_front();
        for (auto* sink : sinks_) sink->on_event(event);
    }
    dispatching_ = false;
}

void EventBus::end() {
    for (auto* sink : sinks_) {
        sink->on_end();
        drain();
    }
}

}  // namespace decoder
