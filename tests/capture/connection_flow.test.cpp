// The capture layer in front of the real decoder: sample captures through PcapFileReader,
// PacketProcessor and ConnectionFlowFactory (decoder::Connection), checked by event.
#include <catch2/catch.hpp>

#include <map>

#include "capture/connection_flow.hpp"
#include "capture/packet_processor.hpp"
#include "capture/pcap_file_reader.hpp"
#include "decoder/flow/connection.hpp"
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

// decoder::Connection reuses one event for all it emits: each must still carry its own
// direction and payload, also around a stretch where the bus only collects (and so takes
// the event's endpoints away).
TEST_CASE("decoder::Connection addresses every event by its direction, delivered or collected", "[capture]") {
    using decoder::Dir;
    decoder::EventBus bus;
    EventRecorder events;
    bus.add_sink(events);
    const decoder::Endpoint client{"192.0.2.1", 40000}, server{"192.0.2.2", 5060};
    decoder::Connection conn(bus, 7, client, server, decoder::Transport::Udp, 1, false);
    const std::string request = "OPTIONS sip:a SIP/2.0\r\nCSeq: 1 OPTIONS\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n";
    const std::string answer = "SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n";
    const auto feed = [&](Dir d, decoder::Micros ts) {
        const std::string& text = d == Dir::ClientToServer ? request : answer;
        conn.on_data(d, {reinterpret_cast<const std::byte*>(text.data()), text.size()}, ts);
    };
    feed(Dir::ClientToServer, 2);
    feed(Dir::ServerToClient, 3);
    feed(Dir::ServerToClient, 4);
    std::vector<decoder::Event> collected;
    bus.collect_into(&collected);
    feed(Dir::ServerToClient, 5);
    feed(Dir::ClientToServer, 6);
    bus.collect_into(nullptr);
    feed(Dir::ClientToServer, 7);
    feed(Dir::ServerToClient, 8);
    conn.finish(decoder::CloseHow::CaptureEnd, 9);

    // "<ts> <src port>><dst port> <what>"
    const auto line = [](const decoder::Event& e) {
        const auto* m = e.as<decoder::SipMessage>();
        return std::to_string(e.ts) + " " + std::to_string(e.src.port) + ">" + std::to_string(e.dst.port) + " " +
               (m ? m->summary() : decoder::event_name(e)) + " " + e.src.ip + ">" + e.dst.ip;
    };
    std::vector<std::string> delivered, kept;
    for (const auto& e : events.events) delivered.push_back(line(e));
    for (const auto& e : collected) kept.push_back(line(e));
    const std::string c = "40000>5060 ", s = "5060>40000 ", cs = " 192.0.2.1>192.0.2.2", sc = " 192.0.2.2>192.0.2.1";
    CHECK(delivered == std::vector<std::string>{
                           "1 " + c + "conn_open" + cs, "2 " + c + "OPTIONS sip:a (CSeq 1 OPTIONS)" + cs,
                           "3 " + s + "200 OK (CSeq 1 OPTIONS)" + sc, "4 " + s + "200 OK (CSeq 1 OPTIONS)" + sc,
                           "7 " + c + "OPTIONS sip:a (CSeq 1 OPTIONS)" + cs, "8 " + s + "200 OK (CSeq 1 OPTIONS)" + sc,
                           "9 " + c + "conn_close" + cs});
    CHECK(kept == std::vector<std::string>{"5 " + s + "200 OK (CSeq 1 OPTIONS)" + sc,
                                           "6 " + c + "OPTIONS sip:a (CSeq 1 OPTIONS)" + cs});
}
