// A FlowFactory that records what the capture layer hands each connection, so the capture
// tests can check exact bytes, gaps and closes without decoder::Connection.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "capture/flow.hpp"
#include "decoder/model/event_bus.hpp"

namespace capture_test {

struct RecordedFlow {
    capture::FlowInfo info;
    std::string stream[2];             // [0] client -> server, [1] server -> client
    std::vector<std::uint64_t> gaps[2];
    std::vector<std::string> log;      // "c data 12", "s gap 5", "c fin", "s rst", "finish fin"
    std::string finished;              // how finish() was called ("" if not)
    std::size_t datagrams[2] = {0, 0}; // on_data calls

    const std::string& client() const { return stream[0]; }
    const std::string& server() const { return stream[1]; }
};

class RecordingFactory : public capture::FlowFactory {
public:
    std::unique_ptr<capture::Flow> open(const capture::FlowInfo& info) override;

    // In order of creation (id order).
    std::vector<std::unique_ptr<RecordedFlow>> flows;
    // Every call on every flow, "<id> <entry>", in order.
    std::vector<std::string> journal;
};

const char* close_name(decoder::CloseHow how);

// Keeps every event the bus delivers.
struct EventRecorder : decoder::EventSink {
    std::vector<decoder::Event> events;
    void on_event(const decoder::Event& e) override { events.push_back(e); }
    std::vector<std::string> notices() const;  // Notice messages, in order
};

}  // namespace capture_test
