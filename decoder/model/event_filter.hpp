// `--filter EXPR`: which events the sinks show.
//
//   host ADDR      an event whose source or destination address is ADDR
//   port N         ... whose source or destination port is N
//   conn N         ... of connection N (the #N in the output)
//   callid TEXT    a SIP message whose Call-ID contains TEXT
//   method NAME    a SIP request of that method, or a response to one (CSeq method)
//   status N       a SIP response with status N; "5xx" matches a class
//   not X, X and Y, X or Y, ( X )    "and" binds tighter than "or"
//
// A connection is shown from its first matching event on; its teardown and its findings
// are always shown with it (its conn_open and earlier findings are held back until then).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "decoder/model/events.hpp"

namespace decoder {

// Words (and parentheses) an expression may have: far more than a command line needs.
inline constexpr std::size_t kMaxFilterWords = 512;

class EventFilter {
public:
    // Throws std::invalid_argument naming the offending word (startup only).
    static EventFilter parse(std::string_view expression);

    bool matches(const Event& event) const;
    const std::string& text() const { return text_; }

    struct Node;

private:
    std::string text_;
    std::shared_ptr<const Node> root_;
};

// The --help text for the filter language.
const char* filter_help();

// Passes to `downstream` only what the filter shows.
class FilterSink : public EventSink {
public:
    // Findings held for a connection not (yet) shown, at most this many per connection.
    static constexpr std::size_t kMaxHeld = 64;

    FilterSink(EventFilter filter, std::vector<EventSink*> downstream)
        : filter_(std::move(filter)), downstream_(std::move(downstream)) {}
    void on_event(const Event& event) override;
    void on_flush() override;
    void on_end() override;

private:
    void pass(const Event& event);

    EventFilter filter_;
    std::vector<EventSink*> downstream_;
    enum class State { Pending, Shown, Hidden };
    std::map<std::uint64_t, State> state_;              // per connection seen
    std::map<std::uint64_t, std::vector<Event>> held_;  // conn_open and findings, not shown yet
};

}  // namespace decoder
