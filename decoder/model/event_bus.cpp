#include "decoder/model/event_bus.hpp"

#include <utility>

namespace decoder {

std::uint64_t EventBus::emit(Event event) {
    if (collect_ != nullptr) {
        collect_->push_back(std::move(event));
        return 0;
    }
    event.seq = next_seq_++;
    if (dispatching_) {
        queue_.push_back(std::move(event));  // from inside a sink: after the current event
        return queue_.back().seq;
    }
    return dispatch(event);
}

std::uint64_t EventBus::emit_in_place(Event& event) {
    if (collect_ != nullptr || dispatching_) return emit(event);  // a copy; not the case it is for
    event.seq = next_seq_++;
    return dispatch(event);
}

// Outside a dispatch nothing is queued, so the event goes to the sinks where it is, without
// the two moves through the queue; what they emit in turn follows it.
std::uint64_t EventBus::dispatch(Event& event) {
    {
        Dispatch dispatch(*this);
        for (auto* sink : sinks_) sink->on_event(event);
        if (!queue_.empty()) deliver_queued();  // seldom: what the sinks emitted in turn
    }
    if (batch_depth_ == 0) flush();
    return event.seq;
}

void EventBus::flush() noexcept {
    for (auto* sink : sinks_) {
        try {
            sink->on_flush();
        } catch (...) {  // a sink that cannot write says so itself; the others still flush
        }
    }
}

void EventBus::drain() {
    if (dispatching_) return;
    Dispatch dispatch(*this);
    deliver_queued();
}

void EventBus::deliver_queued() {
    while (!queue_.empty()) {
        Event event = std::move(queue_.front());
        queue_.pop_front();
        for (auto* sink : sinks_) sink->on_event(event);
    }
}

void EventBus::end() {
    for (auto* sink : sinks_) {
        sink->on_end();
        drain();
    }
}

}  // namespace decoder
