// Fans events out to analyzers and sinks in the order they were emitted.
#pragma once

#include <deque>
#include <vector>

#include "decoder/model/events.hpp"

namespace decoder {

class EventBus {
public:
    // Sinks receive events in the order they were added; add analyzers (which may emit
    // findings back into the bus) before the sinks that print.
    void add_sink(EventSink& sink) { sinks_.push_back(&sink); }

    // From now on emit() only appends each event to `into` (no seq, no sinks): a decoding
    // thread collects its connections' events so that another thread delivers them in order.
    void collect_into(std::vector<Event>* into) { collect_ = into; }

    // Assigns the event's seq and delivers it. Safe to call from inside a sink: the event
    // is queued and delivered after the current one has reached every sink.
    std::uint64_t emit(Event event);
    // The same for an event the caller keeps owning (its seq is set): `read --threads` hands
    // the events back to the decoding thread that allocated them, which frees them there.
    std::uint64_t emit_in_place(Event& event);
    // Whether emit_in_place() would deliver the event where it is (no collecting, not inside a
    // sink): a source that reuses one Event for all it emits may then keep it.
    bool delivers_in_place() const { return collect_ == nullptr && !dispatching_; }

    // End of the run: every sink's on_end, in order (an analyzer may still emit from it).
    void end();

    // The events of one input (a TCP segment, a TLS record holding several SIP messages) are
    // emitted inside a Batch: sinks are flushed once when the outermost batch ends. An event
    // emitted outside any batch is flushed as soon as it (and what it caused) is delivered.
    class Batch {
    public:
        explicit Batch(EventBus& bus) : bus_(bus) { ++bus_.batch_depth_; }
        ~Batch() {
            if (--bus_.batch_depth_ == 0) bus_.flush();
        }
        Batch(const Batch&) = delete;
        Batch& operator=(const Batch&) = delete;

    private:
        EventBus& bus_;
    };

    std::uint64_t next_seq() const { return next_seq_; }

private:
    // Marks the bus as delivering for its lifetime, also when a sink throws.
    struct Dispatch {
        explicit Dispatch(EventBus& bus) : bus_(bus) { bus_.dispatching_ = true; }
        ~Dispatch() { bus_.dispatching_ = false; }
        EventBus& bus_;
    };
    std::uint64_t dispatch(Event& event);  // to every sink now, then what they emitted
    void drain();
    void deliver_queued();
    void flush() noexcept;

    std::vector<EventSink*> sinks_;
    std::deque<Event> queue_;
    std::vector<Event>* collect_ = nullptr;
    std::uint64_t next_seq_ = 1;
    bool dispatching_ = false;
    int batch_depth_ = 0;
};

}  // namespace decoder
