// `read --json --threads N`: lines written on the decoding threads with a placeholder seq, and
// the seq put in at the merge, must be the bytes JsonSink writes for the same events.
#include <catch2/catch.hpp>

#include <array>
#include <sstream>

#include "decoder/sinks/json_sink.hpp"
#include "decoder/sinks/prerendered_json.hpp"

using namespace decoder;

namespace {

Event event_with(std::uint64_t seq, Payload payload, bool addressed = true) {
    Event e;
    e.seq = seq;
    e.ts = 1'764'300'000'123'456;
    e.conn = 7;
    if (addressed) {
        e.src = {"10.0.0.1", 40000};
        e.dst = {"2001:db8::5", 5061};
    }
    e.payload = std::move(payload);
    return e;
}

// Events whose keys sort before and after "seq", and text that looks like the placeholder.
std::vector<Event> sample_events() {
    std::vector<Event> events;
    events.push_back(event_with(1, ConnOpen{true}));
    SipMessage sip;
    sip.method = "OPTIONS";
    sip.request_uri = "sip:a.example";
    sip.call_id = "\"seq\":18446744073709551615";  // escaped in the line: never taken for the key
    sip.via = {"SIP/2.0/TLS 10.0.0.1:40000"};
    sip.raw = "OPTIONS sip:a.example SIP/2.0\r\nX: \"seq\":18446744073709551615\r\n\r\n";
    sip.bytes = sip.raw.size();
    events.push_back(event_with(9, sip));
    events.push_back(event_with(10, Notice{"packet-error", "bad"}, false));
    events.push_back(event_with(123456789012, Finding{Severity::Error, "tls-refused", "m", {1, 9}}));
    return events;
}

std::string json_sink_output(const std::vector<Event>& events) {
    std::ostringstream out;
    {
        JsonSink sink(out, false);
        for (const auto& e : events) sink.on_event(e);
        sink.on_end();
    }
    return out.str();
}

}  // namespace

TEST_CASE("[json] lines rendered ahead with a placeholder seq are JsonSink's bytes once the seq is put in", "[json][threads]") {
    auto events = sample_events();
    const std::string expected = json_sink_output(events);
    REQUIRE(expected.find("\"seq\":123456789012,") != std::string::npos);

    // As the workers do: every line into one buffer, with its cut.
    std::string text;
    std::vector<std::array<std::size_t, 3>> cuts;
    for (const auto& e : events) {
        const auto start = text.size();
        const auto at = render_json_line(e, text);
        REQUIRE(at != std::string::npos);
        cuts.push_back({start, at, text.size()});
    }
    std::ostringstream out;
    {
        PrerenderedJsonSink sink(out, false);
        for (std::size_t i = 0; i < events.size(); ++i) {
            sink.expect(events[i].seq, cut_json_line(text, cuts[i][0], cuts[i][1], cuts[i][2]));
            sink.on_event(events[i]);
        }
        sink.on_end();
    }
    CHECK(out.str() == expected);
}

TEST_CASE("[json] an event with no line given for its seq is written by the sink itself", "[json][threads]") {
    const auto events = sample_events();
    std::ostringstream out;
    {
        PrerenderedJsonSink sink(out, true);
        // A line for a seq that never comes (its event was filtered out) is not used for others.
        sink.expect(5, {"{\"wrong\":", "}\n"});
        for (const auto& e : events) sink.on_event(e);
    }
    CHECK(out.str() == json_sink_output(events));
}
