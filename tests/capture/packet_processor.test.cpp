#include <catch2/catch.hpp>

#include <pcap/pcap.h>

#include "capture/packet_processor.hpp"
#include "packet_builder_support.hpp"
#include "recording_flow_support.hpp"

using namespace capture_test;
using Lines = std::vector<std::string>;

namespace {

constexpr decoder::Micros second = 1'000'000;

// A processor over a recording factory and a bus whose events are kept.
struct Rig {
    decoder::EventBus bus;
    EventRecorder events;
    RecordingFactory flows;
    capture::PacketProcessor processor;

    explicit Rig(capture::ProcessorOptions options = {}) : processor(bus, flows, options) {
        bus.add_sink(events);
    }
    // Feeds an Ethernet frame around `ip`.
    void feed(const Buf& ip, decoder::Micros ts, std::uint32_t orig_len = 0, bool v6 = false) {
        feed_frame(ethernet(ip, v6 ? 0x86dd : 0x0800), ts, orig_len);
    }
    void feed_frame(const Buf& frame, decoder::Micros ts, std::uint32_t orig_len = 0) {
        capture::RawPacket p;
        p.link_type = DLT_EN10MB;
        p.ts = ts;
        p.data = frame;
        p.orig_len = orig_len != 0 ? orig_len : static_cast<std::uint32_t>(frame.size());
        processor.on_packet(p);
    }
    const RecordedFlow& flow(std::size_t id) const { return *flows.flows.at(id - 1); }
};

Buf udp4(const char* src, std::uint16_t sport, const char* dst, std::uint16_t dport, const char* text) {
    return ipv4(src, dst, 17, udp(sport, dport, bytes(text)));
}
Buf tcp4(const char* src, std::uint16_t sport, const char* dst, std::uint16_t dport, std::uint32_t seq,
         std::uint32_t ack, std::uint8_t flags, const char* text = "") {
    return ipv4(src, dst, 6, tcp(sport, dport, seq, ack, flags, bytes(text)));
}

}  // namespace

TEST_CASE("PacketProcessor makes one flow per UDP 5-tuple and picks the client", "[capture]") {
    Rig rig;
    rig.feed(udp4("10.0.0.1", 40000, "10.0.0.2", 5060, "OPTIONS"), 1);
    rig.feed(udp4("10.0.0.2", 5060, "10.0.0.1", 40000, "200 OK"), 2);
    rig.feed(udp4("10.0.0.3", 5060, "10.0.0.4", 5060, "MESSAGE"), 3);
    rig.feed(udp4("10.0.0.5", 5061, "10.0.0.6", 33333, "NOTIFY"), 4);  // a server speaking first
    rig.processor.finish(5);

    REQUIRE(rig.flows.flows.size() == 3);
    CHECK(rig.flows.journal == Lines{"1 open 10.0.0.1:40000 -> 10.0.0.2:5060", "1 c data 7", "1 s data 6",
                                     "2 open 10.0.0.3:5060 -> 10.0.0.4:5060", "2 c data 7",
                                     "3 open 10.0.0.6:33333 -> 10.0.0.5:5061", "3 s data 6",
                                     "1 finish capture_end @5", "2 finish capture_end @5",
                                     "3 finish capture_end @5"});
    CHECK(rig.flow(1).info.transport == decoder::Transport::Udp);
    CHECK(rig.flow(1).client() == "OPTIONS");
    CHECK(rig.flow(1).server() == "200 OK");
    CHECK(rig.processor.stats().udp_datagrams == 4);
    CHECK(rig.processor.stats().packets == 4);
    CHECK(rig.events.events.empty());
}

TEST_CASE("PacketProcessor follows a TCP connection from SYN to FIN and beyond", "[capture]") {
    Rig rig;
    const char* um = "10.0.0.2";
    const char* lync = "10.0.0.3";
    rig.feed(tcp4(um, 50000, lync, 5061, 100, 0, kSyn), 1);
    rig.feed(tcp4(lync, 5061, um, 50000, 900, 101, kSyn | kAck), 2);
    rig.feed(tcp4(um, 50000, lync, 5061, 101, 901, kAck), 3);
    rig.feed(tcp4(um, 50000, lync, 5061, 101, 901, kAck | kPsh, "OPTIONS sip:x"), 4);
    rig.feed(tcp4(lync, 5061, um, 50000, 901, 114, kAck | kFin), 5);
    rig.feed(tcp4(um, 50000, lync, 5061, 114, 902, kAck | kFin), 6);
    CHECK(rig.flow(1).finished == "fin");  // both FINs delivered: the table closes the flow
    rig.feed(tcp4(lync, 5061, um, 50000, 902, 115, kAck), 7);  // absorbed by the closed connection
    CHECK(rig.processor.flow_stats().after_close == 1);

    // The same 4-tuple with a new SYN is a new connection.
    rig.feed(tcp4(um, 50000, lync, 5061, 7000, 0, kSyn), 8);
    rig.feed(tcp4(um, 50000, lync, 5061, 7001, 0, kAck, "again"), 9);
    rig.processor.finish(10);

    REQUIRE(rig.flows.flows.size() == 2);
    const RecordedFlow& first = rig.flow(1);
    CHECK(first.info.client.port == 50000);
    CHECK(first.info.server.port == 5061);
    CHECK(first.info.handshake_seen);
    CHECK(first.client() == "OPTIONS sip:x");
    CHECK(first.log == Lines{"c data 13", "s fin", "c fin", "finish fin @6"});
    CHECK(rig.flow(2).client() == "again");
    CHECK(rig.flow(2).finished == "capture_end");
}

TEST_CASE("PacketProcessor decides TCP roles without a SYN", "[capture]") {
    Rig rig;
    // Mid-connection: the server's 200 comes first; the SIP port marks the server.
    rig.feed(tcp4("10.0.0.3", 5061, "10.0.0.2", 50000, 900, 500, kAck, "SIP/2.0 200 OK"), 1);
    // Neither port is SIP: the well-known one is the server.
    rig.feed(tcp4("10.0.0.9", 443, "10.0.0.8", 41000, 1, 1, kAck, "x"), 2);
    // Neither port is special: the first sender is the client.
    rig.feed(tcp4("10.0.0.7", 42000, "10.0.0.6", 43000, 1, 1, kAck, "y"), 3);
    // Only the SYN-ACK was captured: its sender is the server.
    rig.feed(tcp4("10.0.0.5", 6000, "10.0.0.4", 7000, 1, 1, kSyn | kAck), 4);
    // A bare ACK of an unknown connection makes no flow.
    rig.feed(tcp4("10.0.0.1", 1000, "10.0.0.10", 2000, 1, 1, kAck), 5);
    rig.processor.finish(6);

    REQUIRE(rig.flows.flows.size() == 4);
    CHECK(rig.flow(1).info.client.port == 50000);
    CHECK_FALSE(rig.flow(1).info.handshake_seen);
    CHECK(rig.flow(1).server() == "SIP/2.0 200 OK");
    CHECK(rig.flow(2).info.server.port == 443);
    CHECK(rig.flow(3).info.client.port == 42000);
    CHECK(rig.flow(4).info.server.port == 6000);
    CHECK(rig.flow(4).info.handshake_seen);
    CHECK(rig.processor.flow_stats().stray_acks == 1);
}

TEST_CASE("PacketProcessor reports undecodable packets and counts the rest", "[capture]") {
    Rig rig;
    rig.feed(udp4("10.0.0.1", 5060, "10.0.0.2", 5060, "ok"), 1);
    Buf bad_ihl = udp4("10.0.0.1", 5060, "10.0.0.2", 5060, "bad");
    bad_ihl[0] = std::byte{0x44};
    rig.feed(bad_ihl, 2);
    Buf bad_udp = udp4("10.0.0.1", 5060, "10.0.0.2", 5060, "bad");
    bad_udp[20 + 5] = std::byte{200};
    rig.feed(bad_udp, 3);
    rig.feed_frame(ethernet(bytes("who-has 10.0.0.1"), 0x0806), 4);  // ARP: fine, not IP
    rig.feed(ipv4("10.0.0.1", "10.0.0.2", 1, bytes("ping")), 5);    // ICMP
    rig.feed_frame(bytes("junk"), 6);
    rig.feed(ipv4("10.0.0.1", "10.0.0.2", 6, bytes("short tcp")), 7);

    const auto& stats = rig.processor.stats();
    CHECK(stats.packets == 7);
    CHECK(stats.bad_packets == 4);
    CHECK(stats.other_packets == 2);
    CHECK(stats.bad_by_reason.at("bad-ipv4-header-length") == 1);
    CHECK(stats.bad_by_reason.at("udp-length-beyond-packet") == 1);
    CHECK(stats.other_by_reason.at("non-ip") == 1);
    CHECK(stats.other_by_reason.at("not-tcp-udp") == 1);
    CHECK(rig.events.notices() == Lines{"packet 2: IPv4 header length 16 < 20",
                                        "packet 3: UDP length 200 beyond the 11 bytes of the packet",
                                        "packet 6: truncated Ethernet header: 4 of 14 bytes",
                                        "packet 7: truncated TCP header: 9 of 20 bytes"});
    const decoder::Event& e = rig.events.events.at(1);
    CHECK(e.conn == 0);
    CHECK(e.ts == 3);
    CHECK(e.src.ip == "10.0.0.1");
    CHECK(e.transport == decoder::Transport::Udp);
    CHECK(e.as<decoder::Notice>()->what == "packet-error");
    CHECK(rig.flows.flows.size() == 1);
}

TEST_CASE("PacketProcessor reassembles IP fragments before UDP", "[capture]") {
    Rig rig;
    const std::string message = "INVITE sip:bob " + std::string(40, 'x');
    const Buf l4 = udp(5060, 5060, bytes(message));  // 63 bytes: fragments of 24, 24, 15
    const Buf f1(l4.begin(), l4.begin() + 24), f2(l4.begin() + 24, l4.begin() + 48), f3(l4.begin() + 48, l4.end());
    rig.feed(ipv4("10.0.0.1", "10.0.0.2", 17, f3, {.id = 9, .frag_offset = 48}), 1);
    rig.feed(ipv4("10.0.0.1", "10.0.0.2", 17, f1, {.id = 9, .more_fragments = true}), 2);
    CHECK(rig.flows.flows.empty());
    rig.feed(ipv4("10.0.0.1", "10.0.0.2", 17, f2, {.id = 9, .frag_offset = 24, .more_fragments = true}), 3);
    REQUIRE(rig.flows.flows.size() == 1);
    CHECK(rig.flow(1).client() == message);
    CHECK(rig.processor.stats().fragments == 3);
    CHECK(rig.processor.stats().reassembled == 1);

    // IPv6: Fragment header, reassembled the same way.
    const Buf l6 = udp(5060, 5060, bytes("REGISTER sip:example.com"));  // 32 bytes
    const Buf g1(l6.begin(), l6.begin() + 16), g2(l6.begin() + 16, l6.end());
    rig.feed(ipv6("2001:db8::1", "2001:db8::2", 44, concat({ipv6_fragment_header(17, 16, false, 5), g2})), 4, 0, true);
    rig.feed(ipv6("2001:db8::1", "2001:db8::2", 44, concat({ipv6_fragment_header(17, 0, true, 5), g1})), 5, 0, true);
    REQUIRE(rig.flows.flows.size() == 2);
    CHECK(rig.flow(2).client() == "REGISTER sip:example.com");
    CHECK(rig.flow(2).info.client.ip == "2001:db8::1");

    // A datagram that never completes is reported at the end, naming its first packet.
    rig.feed(ipv4("10.0.0.1", "10.0.0.2", 17, f1, {.id = 10, .more_fragments = true}), 6);
    rig.processor.finish(7);
    CHECK(rig.events.notices() ==
          Lines{"packet 6: incomplete IPv4 datagram 10.0.0.1 -> 10.0.0.2 id 0xa (UDP): got 24 bytes "
                "(last fragment never seen) in 1 fragment, still open at the end of the capture"});
    CHECK(rig.processor.stats().bad_packets == 1);
}

TEST_CASE("PacketProcessor closes idle flows and keeps the table bounded", "[capture]") {
    SECTION("idle timeout in capture time") {
        Rig rig;
        rig.feed(udp4("10.0.0.1", 5060, "10.0.0.2", 5060, "a"), 10 * second);
        rig.feed(udp4("10.0.0.3", 5060, "10.0.0.4", 5060, "b"), 200 * second);
        rig.feed(udp4("10.0.0.5", 5060, "10.0.0.6", 5060, "c"), 311 * second);
        CHECK(rig.flow(1).finished == "timeout");
        CHECK(rig.flow(2).finished.empty());
        CHECK(rig.flows.journal.at(4) == "1 finish timeout @310000000");  // before flow 3 opened
        CHECK(rig.processor.flow_stats().evicted_idle == 1);
        // The same 5-tuple after the timeout is a new flow.
        rig.feed(udp4("10.0.0.1", 5060, "10.0.0.2", 5060, "a2"), 312 * second);
        CHECK(rig.flows.flows.size() == 4);
    }
    SECTION("max connections evicts the least recently used") {
        capture::ProcessorOptions options;
        options.flows.max_connections = 2;
        Rig rig(options);
        rig.feed(udp4("10.0.0.1", 5060, "10.0.0.2", 5060, "a"), 1);
        rig.feed(udp4("10.0.0.3", 5060, "10.0.0.4", 5060, "b"), 2);
        rig.feed(udp4("10.0.0.1", 5060, "10.0.0.2", 5060, "a"), 3);  // flow 1 is now the fresher
        rig.feed(udp4("10.0.0.5", 5060, "10.0.0.6", 5060, "c"), 4);
        CHECK(rig.flow(2).finished == "timeout");
        CHECK(rig.flow(1).finished.empty());
        CHECK(rig.processor.flow_stats().evicted_full == 1);
        rig.processor.finish(5);
        CHECK(rig.flows.journal.back() == "3 finish capture_end @5");
    }
}

TEST_CASE("PacketProcessor turns TCP bytes cut by the snaplen into a gap", "[capture]") {
    Rig rig;
    const Buf full = tcp4("10.0.0.2", 50000, "10.0.0.3", 5060, 101, 1, kAck, "INVITE sip:bob SIP/2.0");
    const Buf snapped(full.begin(), full.end() - 10);  // 12 of 22 payload bytes captured
    rig.feed(snapped, 1, static_cast<std::uint32_t>(full.size() + 14));
    rig.feed(tcp4("10.0.0.2", 50000, "10.0.0.3", 5060, 123, 1, kAck, "next"), 2);
    rig.processor.finish(3);
    CHECK(rig.flow(1).client() == "INVITE sip:bnext");
    CHECK(rig.flow(1).log == Lines{"c data 12", "c gap 10", "c data 4", "finish capture_end @3"});
    CHECK(rig.processor.stats().bad_packets == 0);
}

TEST_CASE("PacketProcessor numbers packets per input when told where one begins", "[capture]") {
    Rig rig;
    rig.feed_frame(bytes("junk"), 1);
    rig.processor.begin_input("second.pcap");
    rig.feed(udp4("10.0.0.1", 5060, "10.0.0.2", 5060, "ok"), 2);
    rig.feed_frame(bytes("junk"), 3);
    CHECK(rig.events.notices() == Lines{"packet 1: truncated Ethernet header: 4 of 14 bytes",
                                        "second.pcap packet 2: truncated Ethernet header: 4 of 14 bytes"});
    CHECK(rig.processor.stats().packets == 3);
}

TEST_CASE("PacketProcessor times out idle flows without a packet when told the time", "[capture]") {
    Rig rig;
    rig.feed(udp4("10.0.0.1", 5060, "10.0.0.2", 5060, "a"), 10 * second);
    rig.processor.advance_time(200 * second);
    CHECK(rig.flow(1).finished.empty());
    rig.processor.advance_time(311 * second);
    CHECK(rig.flow(1).finished == "timeout");
    rig.processor.finish(312 * second);
    CHECK(rig.flows.journal.back() == "1 finish timeout @310000000");
}

TEST_CASE("PacketProcessor names flow endpoints as inet_ntop writes addresses", "[capture]") {
    Rig rig;
    // One, two and three digits, and zero, in every position of an IPv4 address.
    rig.feed(udp4("0.9.10.99", 40000, "100.255.1.0", 5060, "OPTIONS"), 1);
    rig.feed(udp4("255.100.99.10", 5060, "9.0.255.7", 33333, "NOTIFY"), 2);  // the server spoke first
    rig.feed(ipv6("2001:db8:0:0:0:0:0:1", "::ffff:10.0.0.1", 17, udp(40001, 5060, bytes("OPTIONS"))), 3, 0, true);
    rig.processor.finish(4);

    REQUIRE(rig.flows.flows.size() == 3);
    CHECK(rig.flow(1).info.client.ip == "0.9.10.99");
    CHECK(rig.flow(1).info.server.ip == "100.255.1.0");
    CHECK(rig.flow(2).info.client.ip == "9.0.255.7");
    CHECK(rig.flow(2).info.server.ip == "255.100.99.10");
    CHECK(rig.flow(3).info.client.ip == "2001:db8::1");
    CHECK(rig.flow(3).info.server.ip == "::ffff:10.0.0.1");
}
