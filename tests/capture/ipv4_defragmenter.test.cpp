#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <string>
#include <string_view>

#include "capture/ipv4_defragmenter.hpp"

using capture::DefragStatus;
using capture::IpPacket;
using capture::Ipv4Defragmenter;

namespace {

capture::IpAddress addr(const char* text) {
    capture::IpAddress a;
    a.v6 = std::string_view(text).find(':') != std::string_view::npos;
    inet_pton(a.v6 ? AF_INET6 : AF_INET, text, a.bytes.data());
    return a;
}

// A fragment of datagram `id` from 192.0.2.1 to 192.0.2.2 carrying UDP.
IpPacket fragment(std::uint32_t id, std::uint32_t offset, bool more, std::string_view payload) {
    IpPacket p;
    p.src = addr("192.0.2.1");
    p.dst = addr("192.0.2.2");
    p.protocol = capture::ip_proto_udp;
    p.fragment = true;
    p.frag_id = id;
    p.frag_offset = offset;
    p.more_fragments = more;
    p.payload = {reinterpret_cast<const std::byte*>(payload.data()), payload.size()};
    return p;
}

std::string text(const std::vector<std::byte>& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

}  // namespace

TEST_CASE("Ipv4Defragmenter reassembles fragments in any order", "[capture]") {
    Ipv4Defragmenter d;
    const std::string a(8, 'a'), b(8, 'b');
    const std::string c = "ccc";

    SECTION("in order") {
        CHECK(d.add(fragment(7, 0, true, a), 1, 1).status == DefragStatus::Incomplete);
        CHECK(d.add(fragment(7, 8, true, b), 2, 2).status == DefragStatus::Incomplete);
        const auto r = d.add(fragment(7, 16, false, c), 3, 3);
        REQUIRE(r.status == DefragStatus::Complete);
        CHECK(text(r.payload) == a + b + c);
    }
    SECTION("last fragment first, then the rest reversed") {
        CHECK(d.add(fragment(7, 16, false, c), 1, 1).status == DefragStatus::Incomplete);
        CHECK(d.add(fragment(7, 8, true, b), 2, 2).status == DefragStatus::Incomplete);
        const auto r = d.add(fragment(7, 0, true, a), 3, 3);
        REQUIRE(r.status == DefragStatus::Complete);
        CHECK(text(r.payload) == a + b + c);
    }
    SECTION("duplicates and overlaps: the first copy wins") {
        d.add(fragment(7, 0, true, a), 1, 1);
        d.add(fragment(7, 0, true, std::string(8, 'X')), 2, 2);
        d.add(fragment(7, 8, true, std::string(11, 'Y')), 3, 3);  // overlaps the last one
        const auto r = d.add(fragment(7, 16, false, c), 4, 4);
        REQUIRE(r.status == DefragStatus::Complete);
        CHECK(text(r.payload) == a + std::string(8, 'Y') + "YYY");
    }
    CHECK(d.in_flight() == 0);
    CHECK(d.take_abandoned().empty());
}

TEST_CASE("Ipv4Defragmenter keeps datagrams apart by address, protocol and id", "[capture]") {
    Ipv4Defragmenter d;
    d.add(fragment(1, 0, true, "11111111"), 1, 1);
    d.add(fragment(2, 0, true, "22222222"), 2, 2);
    IpPacket tcp = fragment(1, 8, false, "T");
    tcp.protocol = capture::ip_proto_tcp;
    CHECK(d.add(tcp, 3, 3).status == DefragStatus::Incomplete);
    IpPacket v6 = fragment(1, 8, false, "6");
    v6.src = addr("2001:db8::1");
    v6.dst = addr("2001:db8::2");
    CHECK(d.add(v6, 4, 4).status == DefragStatus::Incomplete);
    CHECK(d.in_flight() == 4);
    const auto r = d.add(fragment(2, 8, false, "end"), 5, 5);
    REQUIRE(r.status == DefragStatus::Complete);
    CHECK(text(r.payload) == "22222222end");
}

TEST_CASE("Ipv4Defragmenter reports incomplete datagrams with the reason", "[capture]") {
    Ipv4Defragmenter d({.max_datagrams = 2, .max_size = 65535, .max_fragments = 4, .timeout = 30'000'000});

    SECTION("timeout in capture time") {
        d.add(fragment(0x1c46, 0, true, "abcdefgh"), 1'000'000, 5);
        d.expire(30'000'000);
        CHECK(d.in_flight() == 1);
        d.expire(31'000'001);
        CHECK(d.in_flight() == 0);
        const auto gone = d.take_abandoned();
        REQUIRE(gone.size() == 1);
        CHECK(gone[0].first_packet == 5);
        CHECK(gone[0].reason ==
              "incomplete IPv4 datagram 192.0.2.1 -> 192.0.2.2 id 0x1c46 (UDP): got 8 bytes "
              "(last fragment never seen) in 1 fragment, timed out after 30 s");
    }
    SECTION("end of capture") {
        d.add(fragment(9, 8, false, "xyz"), 1, 3);
        d.flush();
        const auto gone = d.take_abandoned();
        REQUIRE(gone.size() == 1);
        CHECK(gone[0].reason ==
              "incomplete IPv4 datagram 192.0.2.1 -> 192.0.2.2 id 0x9 (UDP): got 3 bytes of 11 "
              "in 1 fragment, still open at the end of the capture");
    }
    SECTION("too many datagrams in flight evicts the oldest") {
        d.add(fragment(1, 0, true, "11111111"), 1, 1);
        d.add(fragment(2, 0, true, "22222222"), 2, 2);
        d.add(fragment(3, 0, true, "33333333"), 3, 3);
        CHECK(d.in_flight() == 2);
        const auto gone = d.take_abandoned();
        REQUIRE(gone.size() == 1);
        CHECK(gone[0].first_packet == 1);
        CHECK_THAT(gone[0].reason, Catch::EndsWith("evicted: too many datagrams in flight"));
    }
    SECTION("too many fragments") {
        for (std::uint32_t i = 0; i < 4; ++i) d.add(fragment(1, i * 8, true, "ffffffff"), i, i);
        const auto r = d.add(fragment(1, 32, true, "ffffffff"), 5, 5);
        CHECK(r.status == DefragStatus::Bad);
        CHECK_THAT(r.reason, Catch::EndsWith("dropped: more than 4 fragments"));
        CHECK(d.in_flight() == 0);
    }
}

TEST_CASE("Ipv4Defragmenter drops impossible datagrams", "[capture]") {
    Ipv4Defragmenter d;

    SECTION("beyond 64 KiB") {
        const auto r = d.add(fragment(1, 65528, false, "0123456789"), 1, 1);
        CHECK(r.status == DefragStatus::Bad);
        CHECK_THAT(r.reason, Catch::Contains("beyond the 65535-byte limit"));
    }
    SECTION("two different last fragments") {
        d.add(fragment(1, 8, false, "abc"), 1, 1);
        const auto r = d.add(fragment(1, 16, false, "abc"), 2, 2);
        CHECK(r.status == DefragStatus::Bad);
        CHECK_THAT(r.reason, Catch::Contains("disagree on the length (11 and 19)"));
    }
    SECTION("data past the last fragment") {
        d.add(fragment(1, 8, false, "abc"), 1, 1);
        const auto r = d.add(fragment(1, 16, true, "abcdefgh"), 2, 2);
        CHECK(r.status == DefragStatus::Bad);
        CHECK_THAT(r.reason, Catch::Contains("beyond the end of the datagram"));
    }
    SECTION("a fragment cut by the snaplen") {
        IpPacket f = fragment(1, 0, true, "abcdefgh");
        f.missing = 100;
        const auto r = d.add(f, 1, 1);
        CHECK(r.status == DefragStatus::Bad);
        CHECK_THAT(r.reason, Catch::Contains("snaplen"));
    }
    CHECK(d.in_flight() == 0);
}
