#include <catch2/catch.hpp>

#include <pcap/pcap.h>

#include "capture/link_layer.hpp"
#include "packet_builder_support.hpp"

using capture::decode_link;
using capture::NetProto;
using capture::Verdict;
using namespace capture_test;

namespace {

const Buf ip4 = ipv4("192.0.2.1", "192.0.2.2", 17, udp(5060, 5060, bytes("x")));
const Buf ip6 = ipv6("2001:db8::1", "2001:db8::2", 17, udp(5060, 5060, bytes("x")));

// The payload the link layer found must be exactly the IP packet we framed.
bool is(const capture::LinkResult& r, const Buf& ip) {
    return r.verdict == Verdict::Ok && Buf(r.payload.begin(), r.payload.end()) == ip;
}

}  // namespace

TEST_CASE("decode_link finds IP in every supported link type", "[capture]") {
    CHECK(is(decode_link(DLT_EN10MB, ethernet(ip4, 0x0800)), ip4));
    CHECK(is(decode_link(DLT_EN10MB, ethernet(ip6, 0x86dd)), ip6));
    CHECK(decode_link(DLT_EN10MB, ethernet(ip6, 0x86dd)).proto == NetProto::Ipv6);
    CHECK(is(decode_link(DLT_LINUX_SLL, linux_sll(ip4, 0x0800)), ip4));
    CHECK(is(decode_link(DLT_LINUX_SLL2, linux_sll2(ip6, 0x86dd)), ip6));
    CHECK(decode_link(DLT_LINUX_SLL2, linux_sll2(ip6, 0x86dd)).proto == NetProto::Ipv6);
    for (int raw : {DLT_RAW, 14, 101}) {
        CAPTURE(raw);
        CHECK(is(decode_link(raw, ip4), ip4));
        CHECK(is(decode_link(raw, ip6), ip6));
        CHECK(decode_link(raw, ip6).proto == NetProto::Ipv6);
    }
    CHECK(is(decode_link(DLT_IPV4, ip4), ip4));
    CHECK(decode_link(DLT_IPV6, ip6).proto == NetProto::Ipv6);
}

TEST_CASE("decode_link reads BSD loopback families in either byte order", "[capture]") {
    for (int dlt : {DLT_NULL, DLT_LOOP}) {
        for (bool big_endian : {false, true}) {
            CAPTURE(dlt, big_endian);
            CHECK(is(decode_link(dlt, bsd_loopback(ip4, 2, big_endian)), ip4));
            for (std::uint32_t af6 : {24u, 28u, 30u}) {
                const Buf frame = bsd_loopback(ip6, af6, big_endian);
                const auto r = decode_link(dlt, frame);
                CHECK(is(r, ip6));
                CHECK(r.proto == NetProto::Ipv6);
            }
        }
    }
    const auto r = decode_link(DLT_NULL, bsd_loopback(ip4, 7, false));
    CHECK(r.verdict == Verdict::Other);
    CHECK(r.reason == "BSD loopback address family 7");
}

TEST_CASE("decode_link skips stacked VLAN tags up to the cap", "[capture]") {
    CHECK(is(decode_link(DLT_EN10MB, ethernet(ip4, 0x0800, {0x8100})), ip4));
    CHECK(is(decode_link(DLT_EN10MB, ethernet(ip4, 0x0800, {0x88a8, 0x8100})), ip4));
    CHECK(is(decode_link(DLT_EN10MB, ethernet(ip6, 0x86dd, {0x9100, 0x88a8, 0x8100})), ip6));
    CHECK(is(decode_link(DLT_LINUX_SLL, linux_sll(concat({Buf{std::byte{0}, std::byte{100}, std::byte{8}, std::byte{0}}, ip4}), 0x8100)), ip4));
    CHECK(is(decode_link(DLT_EN10MB, ethernet(ip4, 0x0800, {0x8100, 0x8100, 0x8100, 0x8100, 0x8100, 0x8100, 0x8100, 0x8100})), ip4));

    const auto deep = decode_link(DLT_EN10MB, ethernet(ip4, 0x0800, {0x8100, 0x8100, 0x8100, 0x8100, 0x8100,
                                                                    0x8100, 0x8100, 0x8100, 0x8100}));
    CHECK(deep.verdict == Verdict::Bad);
    CHECK(deep.reason == "more than 8 VLAN tags");

    Buf cut = ethernet({}, 0x8100);  // a tag type with no tag after it
    const auto truncated = decode_link(DLT_EN10MB, cut);
    CHECK(truncated.verdict == Verdict::Bad);
    CHECK(truncated.reason == "truncated VLAN header: 0 of 4 bytes");
}

TEST_CASE("decode_link tells non-IP frames from garbage", "[capture]") {
    const auto arp = decode_link(DLT_EN10MB, ethernet(bytes("arp arp arp arp arp"), 0x0806));
    CHECK(arp.verdict == Verdict::Other);
    CHECK(arp.reason == "Ethernet frame of type 0x0806, not IP");
    CHECK(decode_link(DLT_EN10MB, ethernet(bytes("lldp"), 0x88cc, {0x8100})).verdict == Verdict::Other);
    CHECK(decode_link(DLT_LINUX_SLL, linux_sll(bytes("llc"), 0x0004)).verdict == Verdict::Other);

    const auto short_eth = decode_link(DLT_EN10MB, bytes("garbage"));
    CHECK(short_eth.verdict == Verdict::Bad);
    CHECK(short_eth.reason == "truncated Ethernet header: 7 of 14 bytes");
    CHECK(decode_link(DLT_LINUX_SLL, bytes("short")).reason == "truncated Linux cooked (SLL) header: 5 of 16 bytes");
    CHECK(decode_link(DLT_LINUX_SLL2, bytes("short")).reason == "truncated Linux cooked (SLL2) header: 5 of 20 bytes");
    CHECK(decode_link(DLT_NULL, bytes("ab")).reason == "truncated BSD loopback header: 2 of 4 bytes");
    CHECK(decode_link(DLT_RAW, bytes("Zgarbage")).reason == "raw IP packet with IP version 5");
    CHECK(decode_link(DLT_RAW, bytes("\x10garbage")).reason == "raw IP packet with IP version 1");
    CHECK(decode_link(DLT_RAW, {}).reason == "empty raw IP packet");

    const auto unknown = decode_link(DLT_IEEE802_11, ip4);
    CHECK(unknown.verdict == Verdict::Bad);
    CHECK_THAT(unknown.reason, Catch::StartsWith("unsupported link type IEEE802_11 (105"));
}

TEST_CASE("link_type_supported lists exactly what decode_link reads", "[capture]") {
    for (int dlt : {DLT_NULL, DLT_EN10MB, DLT_RAW, 14, 101, DLT_LOOP, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_IPV4, DLT_IPV6})
        CHECK(capture::link_type_supported(dlt));
    for (int dlt : {DLT_IEEE802_11, DLT_PPP, 147, 9999}) CHECK_FALSE(capture::link_type_supported(dlt));
    CHECK_THAT(capture::link_type_name(DLT_IEEE802_11), Catch::StartsWith("IEEE802_11 (105, "));
    CHECK(capture::link_type_name(9999) == "9999");
}
