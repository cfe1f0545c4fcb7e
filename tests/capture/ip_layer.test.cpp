#include <catch2/catch.hpp>

#include "capture/ip_layer.hpp"
#include "capture/transport_layer.hpp"
#include "packet_builder_support.hpp"

using capture::decode_ip;
using capture::NetProto;
using capture::Verdict;
using namespace capture_test;

namespace {

std::string payload_text(const capture::IpPacket& p) {
    return {reinterpret_cast<const char*>(p.payload.data()), p.payload.size()};
}

// An IPv6 extension header of 8 bytes (hop-by-hop, routing, destination options).
Buf ext8(std::uint8_t next) {
    Buf b(8, std::byte{0});
    b[0] = std::byte{next};
    return b;
}

}  // namespace

TEST_CASE("decode_ip reads IPv4 headers with and without options", "[capture]") {
    const Buf plain = ipv4("192.0.2.1", "198.51.100.7", 6, bytes("segment"));
    const auto r = decode_ip(NetProto::Ipv4, plain, false);
    REQUIRE(r.verdict == Verdict::Ok);
    CHECK(r.packet.src.to_string() == "192.0.2.1");
    CHECK(r.packet.dst.to_string() == "198.51.100.7");
    CHECK(r.packet.protocol == 6);
    CHECK(payload_text(r.packet) == "segment");
    CHECK_FALSE(r.packet.fragment);

    const Buf options = ipv4("192.0.2.1", "192.0.2.2", 17, bytes("x"), {.header_options = 12});
    CHECK(payload_text(decode_ip(NetProto::Ipv4, options, false).packet) == "x");

    Buf padded = concat({plain, Buf(4, std::byte{0})});  // Ethernet minimum-size padding
    CHECK(payload_text(decode_ip(NetProto::Ipv4, padded, false).packet) == "segment");

    const Buf offload = ipv4("192.0.2.1", "192.0.2.2", 6, bytes("tso"), {.total_length = 0});
    CHECK(payload_text(decode_ip(NetProto::Ipv4, offload, false).packet) == "tso");

    const Buf frag = ipv4("192.0.2.1", "192.0.2.2", 17, bytes("x"), {.id = 77, .frag_offset = 1480, .more_fragments = true});
    const auto f = decode_ip(NetProto::Ipv4, frag, false).packet;
    CHECK(f.fragment);
    CHECK(f.frag_offset == 1480);
    CHECK(f.more_fragments);
    CHECK(f.frag_id == 77);
}

TEST_CASE("decode_ip rejects broken IPv4 headers with a reason", "[capture]") {
    const Buf good = ipv4("192.0.2.1", "192.0.2.2", 17, bytes("0123456789"));
    CHECK(decode_ip(NetProto::Ipv4, Buf(good.begin(), good.begin() + 12), false).reason ==
          "truncated IPv4 header: 12 of 20 bytes");

    Buf short_ihl = good;
    short_ihl[0] = std::byte{0x43};
    CHECK(decode_ip(NetProto::Ipv4, short_ihl, false).reason == "IPv4 header length 12 < 20");

    Buf long_ihl = good;
    long_ihl[0] = std::byte{0x4f};
    CHECK(decode_ip(NetProto::Ipv4, long_ihl, false).reason == "truncated IPv4 header: 30 of 60 bytes");

    const Buf too_long = ipv4("192.0.2.1", "192.0.2.2", 17, bytes("0123456789"), {.total_length = 100});
    const auto r = decode_ip(NetProto::Ipv4, too_long, false);
    CHECK(r.verdict == Verdict::Bad);
    CHECK(r.reason == "IPv4 total length 100 beyond the 30 bytes of the packet");
    // The same length on a frame the capture cut short is expected: the rest is missing.
    const auto snapped = decode_ip(NetProto::Ipv4, too_long, true);
    REQUIRE(snapped.verdict == Verdict::Ok);
    CHECK(snapped.packet.missing == 70);

    const Buf too_short = ipv4("192.0.2.1", "192.0.2.2", 17, {}, {.total_length = 10});
    CHECK(decode_ip(NetProto::Ipv4, too_short, false).reason == "IPv4 total length 10 shorter than its header (20)");

    const Buf v6 = ipv6("::1", "::1", 17, {});
    CHECK(decode_ip(NetProto::Ipv4, v6, false).reason == "IP version 6 in an IPv4 frame");
}

TEST_CASE("decode_ip walks IPv6 extension headers", "[capture]") {
    const Buf plain = ipv6("2001:db8::1", "2001:db8::2", 17, bytes("udp"));
    const auto r = decode_ip(NetProto::Ipv6, plain, false);
    REQUIRE(r.verdict == Verdict::Ok);
    CHECK(r.packet.src.to_string() == "2001:db8::1");
    CHECK(r.packet.src.v6);
    CHECK(payload_text(r.packet) == "udp");

    // hop-by-hop -> routing -> destination options -> TCP
    const Buf chain = ipv6("::1", "::2", 0, concat({ext8(43), ext8(60), ext8(6), bytes("tcp")}));
    const auto c = decode_ip(NetProto::Ipv6, chain, false);
    REQUIRE(c.verdict == Verdict::Ok);
    CHECK(c.packet.protocol == 6);
    CHECK(payload_text(c.packet) == "tcp");

    const Buf atomic = ipv6("::1", "::2", 44, concat({ipv6_fragment_header(17, 0, false, 5), bytes("whole")}));
    const auto a = decode_ip(NetProto::Ipv6, atomic, false);
    CHECK_FALSE(a.packet.fragment);
    CHECK(payload_text(a.packet) == "whole");

    const Buf frag = ipv6("::1", "::2", 44, concat({ipv6_fragment_header(17, 1448, true, 0xabcdef), bytes("piece")}));
    const auto f = decode_ip(NetProto::Ipv6, frag, false);
    REQUIRE(f.verdict == Verdict::Ok);
    CHECK(f.packet.fragment);
    CHECK(f.packet.frag_offset == 1448);
    CHECK(f.packet.frag_id == 0xabcdef);
    CHECK(f.packet.protocol == 17);
    CHECK(payload_text(f.packet) == "piece");

    // After reassembly, a destination options header may still precede UDP.
    const Buf rest = concat({ext8(17), bytes("udp")});
    const auto up = capture::ipv6_upper_layer(f.packet, 60, rest);
    REQUIRE(up.verdict == Verdict::Ok);
    CHECK(up.packet.protocol == 17);
    CHECK(payload_text(up.packet) == "udp");
}

TEST_CASE("decode_ip rejects broken IPv6 packets with a reason", "[capture]") {
    CHECK(decode_ip(NetProto::Ipv6, bytes("short"), false).reason == "truncated IPv6 header: 5 of 40 bytes");
    const Buf cut_ext = ipv6("::1", "::2", 0, bytes("abc"));
    CHECK(decode_ip(NetProto::Ipv6, cut_ext, false).reason == "truncated IPv6 extension header (type 0)");
    const Buf none = ipv6("::1", "::2", 59, {});
    CHECK(decode_ip(NetProto::Ipv6, none, false).verdict == Verdict::Other);
    Buf lying = ipv6("::1", "::2", 17, bytes("abc"));
    lying[5] = std::byte{200};
    CHECK(decode_ip(NetProto::Ipv6, lying, false).reason == "IPv6 payload length 200 beyond the 3 bytes after the header");
    const Buf v4 = ipv4("192.0.2.1", "192.0.2.2", 17, Buf(40, std::byte{0}));
    CHECK(decode_ip(NetProto::Ipv6, v4, false).reason == "IP version 4 in an IPv6 frame");
}

TEST_CASE("decode_udp and decode_tcp check their lengths", "[capture]") {
    const auto u = capture::decode_udp(udp(5060, 40000, bytes("OPTIONS")), 0);
    REQUIRE(u.verdict == Verdict::Ok);
    CHECK(u.src_port == 5060);
    CHECK(u.dst_port == 40000);
    CHECK(u.segment.payload.size() == 7);

    Buf lying = udp(5060, 5060, bytes("abc"));
    lying[5] = std::byte{50};
    CHECK(capture::decode_udp(lying, 0).reason == "UDP length 50 beyond the 11 bytes of the packet");
    CHECK(capture::decode_udp(lying, 39).reason ==
          "UDP datagram cut short by the capture's snaplen: 11 of 50 bytes captured");
    lying[5] = std::byte{4};
    CHECK(capture::decode_udp(lying, 0).reason == "UDP length 4 shorter than its header");
    CHECK(capture::decode_udp(bytes("1234"), 0).reason == "truncated UDP header: 4 of 8 bytes");

    const auto t = capture::decode_tcp(tcp(40000, 5061, 1000, 2000, kSyn | kAck, bytes("x")), 3);
    REQUIRE(t.verdict == Verdict::Ok);
    CHECK(t.segment.seq == 1000);
    CHECK(t.segment.ack == 2000);
    CHECK(t.segment.syn);
    CHECK(t.segment.ack_flag);
    CHECK_FALSE(t.segment.fin);
    CHECK(t.segment.missing == 3);
    CHECK(capture::decode_tcp(bytes("0123456789"), 0).reason == "truncated TCP header: 10 of 20 bytes");
    Buf options = tcp(1, 2, 0, 0, 0);
    options[12] = std::byte{0x80};  // 32-byte header in a 20-byte segment
    CHECK(capture::decode_tcp(options, 0).reason == "truncated TCP header: 20 of 32 bytes");
    options[12] = std::byte{0x30};
    CHECK(capture::decode_tcp(options, 0).reason == "TCP header length 12 < 20");
}
