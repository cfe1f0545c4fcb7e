// Fans events out to analyzers and sinks in the order they were emitted.
#pragma once

#include <deque>
#include <vector>

#include "decoder/events.hpp"

namespace decoder {

class EventBus {
public:
    // Sinks receive events in the order they were added; add analyzers (which may emit
    // findings back into the bus) before the sinks that print.
    void add_sink(EventSink& sink) { sinks_.push_back(&sink); }

    // Assigns the event's seq and delivers it. Safe to call from inside a sink: the event
    // is queued and delivered after the current one has reached every sink.
    std::uint64_t emit(Event event);

    // End of the run: every sink's on_end, in order (an analyzer may still emit from it).
    void end();

    std::uint64_t next_seq() const { return next_seq_; }

private:
    void drain();

    std::vector<EventSink*> sinks_;
    std::deque<Event> queue_;
    std::uint64_t next_seq_ = 1;
    bool dispatching_ = false;
};

}  // namespace decoder
