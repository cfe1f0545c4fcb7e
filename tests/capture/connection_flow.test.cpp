// The capture layer in front of the real decoder: sample captures through PcapFileReader,
// PacketProcessor and ConnectionFlowFactory (decoder::Connection), checked by event.
#include <catch2/catch.hpp>

#include <map>

#include "capture/connection_flow.hpp"
#include "capture/packet_processor.hpp"
#include "capture/pcap_file_reader.hpp"
#include "recording_flow_support.hpp"

using namespace capture_test;

namespace {

std::vector<decoder::Event> decode(const std::string& name) {
    decoder::EventBus bus;
    EventRecorder events;
    bus.add_sink(events);
    capture::ConnectionFlowFactory flows(bus);
    capture::PacketProcessor processor(bus, flows);
    capture::PcapFileReader reader(std::string(SIPTAP_PCAP_DIR) + "/" + name);
    reader.read_all(processor);
    processor.finish(processor.last_ts());
    bus.end();
    return events.events;
}

std::map<std::string, int> count_by_name(const std::vector<decoder::Event>& events) {
    std::map<std::string, int> counts;
    for (const auto& e : events) ++counts[decoder::event_name(e)];
    return counts;
}

const decoder::ConnClose* close_of(const std::vector<decoder::Event>& events, std::uint64_t conn) {
    for (const auto& e : events)
        if (e.conn == conn)
            if (const auto* c = e.as<decoder::ConnClose>()) return c;
    return nullptr;
}

}  // namespace

TEST_CASE("ConnectionFlowFactory feeds decoder::Connection: segmented TCP call", "[capture]") {
    const auto events = decode("sip-tcp-segmented.pcap");
    const auto counts = count_by_name(events);
    CHECK(counts.at("conn_open") == 1);
    CHECK(counts.at("sip") == 7);  // INVITE, 100, 180, 200, ACK, BYE, 200
    CHECK(counts.at("conn_close") == 1);
    REQUIRE(events.front().as<decoder::ConnOpen>());
    CHECK(events.front().conn == 1);
    CHECK(events.front().src == decoder::Endpoint{"192.0.2.10", 49732});
    CHECK(events.front().as<decoder::ConnOpen>()->handshake_seen);
    const auto* close = close_of(events, 1);
    REQUIRE(close);
    CHECK(close->how == decoder::CloseHow::Fin);
}

TEST_CASE("ConnectionFlowFactory feeds decoder::Connection: UDP, gap and bad packets", "[capture]") {
    const auto udp = count_by_name(decode("sip-udp-call.pcap"));
    CHECK(udp.at("sip") == 7);
    CHECK(udp.at("conn_open") == 1);

    const auto gap = decode("sip-tcp-gap.pcap");
    int gap_notices = 0;
    for (const auto& e : gap)
        if (const auto* n = e.as<decoder::Notice>(); n != nullptr && n->what == "gap") ++gap_notices;
    CHECK(gap_notices >= 1);
    const auto* close = close_of(gap, 1);
    REQUIRE(close);
    CHECK(close->how == decoder::CloseHow::Rst);

    const auto bad = decode("bad/bad-packets.pcap");
    CHECK(count_by_name(bad).at("sip") == 4);
    int packet_errors = 0;
    for (const auto& e : bad)
        if (const auto* n = e.as<decoder::Notice>(); n != nullptr && n->what == "packet-error") {
            ++packet_errors;
            CHECK(e.conn == 0);
        }
    CHECK(packet_errors == 2);
}
