// Network Monitor 2.x images built here field by field (the layout in netmon_reader.hpp):
// frames and their times, media types per frame (format 2.1+), and damaged files. The real
// thing, editcap's netmon2 output of a recorded capture, is read in tests/cli.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "capture/netmon_reader.hpp"

using namespace capture;

namespace {

using Bytes = std::vector<std::byte>;

void put16(Bytes& b, std::size_t at, unsigned v) {
    b[at] = static_cast<std::byte>(v & 0xff);
    b[at + 1] = static_cast<std::byte>(v >> 8 & 0xff);
}
void put32(Bytes& b, std::size_t at, std::uint32_t v) {
    put16(b, at, v & 0xffff);
    put16(b, at + 2, v >> 16);
}

struct Frame {
    std::uint64_t delta_us;
    std::string data;
    unsigned media = 1;  // trailer media type (format 2.1+)
};

// A 2.<minor> file: 128-byte header, the frames, then the frame table. Start time
// 2026-03-02 09:15:00.250 UTC.
Bytes image(unsigned minor, unsigned file_media, const std::vector<Frame>& frames) {
    Bytes b(128);
    std::memcpy(b.data(), "GMBU", 4);
    b[4] = static_cast<std::byte>(minor);
    b[5] = std::byte{2};
    put16(b, 6, file_media);
    const unsigned time[8] = {2026, 3, 1, 2, 9, 15, 0, 250};
    for (int i = 0; i < 8; ++i) put16(b, 8 + 2 * static_cast<std::size_t>(i), time[i]);
    const std::size_t trailer = minor == 0 ? 0 : minor == 1 ? 2 : minor == 2 ? 6 : 15;
    std::vector<std::uint32_t> offsets;
    for (const auto& f : frames) {
        offsets.push_back(static_cast<std::uint32_t>(b.size()));
        const std::size_t at = b.size();
        b.resize(at + 16 + f.data.size() + trailer);
        put32(b, at, static_cast<std::uint32_t>(f.delta_us));
        put32(b, at + 4, static_cast<std::uint32_t>(f.delta_us >> 32));
        put32(b, at + 8, static_cast<std::uint32_t>(f.data.size() + 4));  // wire length: FCS not kept
        put32(b, at + 12, static_cast<std::uint32_t>(f.data.size()));
        std::memcpy(b.data() + at + 16, f.data.data(), f.data.size());
        if (trailer) put16(b, at + 16 + f.data.size(), f.media);
    }
    put32(b, 24, static_cast<std::uint32_t>(b.size()));
    put32(b, 28, static_cast<std::uint32_t>(4 * offsets.size()));
    for (auto o : offsets) {
        b.resize(b.size() + 4);
        put32(b, b.size() - 4, o);
    }
    return b;
}

struct Collector : PacketHandler {
    std::vector<RawPacket> packets;
    std::vector<std::string> data;
    void on_packet(const RawPacket& p) noexcept override {
        packets.push_back(p);
        data.emplace_back(reinterpret_cast<const char*>(p.data.data()), p.data.size());
    }
};

constexpr decoder::Micros kStart = 1772442900'250000;  // 2026-03-02T09:15:00.250Z

}  // namespace

TEST_CASE("[netmon] frames, lengths and times of a 2.0 Ethernet capture", "[netmon]") {
    const auto img = image(0, 1, {{0, "first"}, {1'500'123, "second frame"}});
    CHECK(is_netmon(img));
    Collector c;
    const auto r = read_netmon(img, "x.cap", c);
    CHECK_FALSE(r.error);
    REQUIRE(c.packets.size() == 2);
    CHECK(c.data == std::vector<std::string>{"first", "second frame"});
    CHECK(c.packets[0].link_type == 1);
    CHECK(c.packets[0].ts == kStart);
    CHECK(c.packets[1].ts == kStart + 1'500'123);
    CHECK(c.packets[1].orig_len == 16);
    CHECK(r.packets == 2);
    CHECK(r.last_ts == kStart + 1'500'123);
}

TEST_CASE("[netmon] media type per frame from the 2.1+ trailer, other media are skipped", "[netmon]") {
    const unsigned minor = GENERATE(1u, 2u, 3u);
    CAPTURE(minor);
    const auto img = image(minor, 1,
                           {{1, "eth", 1}, {2, "raw-ip", 9}, {3, "tunnel", 7}, {4, "sll", 0xE000 + 113},
                            {5, "802.11", 6}, {6, "netevent", 0xFFE0}, {7, "token ring", 2}, {8, "eth2", 1}});
    Collector c;
    const auto r = read_netmon(img, "x.cap", c);
    CHECK_FALSE(r.error);
    CHECK(c.data == std::vector<std::string>{"eth", "raw-ip", "tunnel", "sll", "eth2"});
    std::vector<int> links;
    for (const auto& p : c.packets) links.push_back(p.link_type);
    CHECK(links == std::vector<int>{1, 101, 101, 113, 1});
    CHECK(r.skipped == 3);
}

TEST_CASE("[netmon] a truncated file delivers the frames before the cut and names the file", "[netmon]") {
    auto img = image(1, 1, {{1, std::string(100, 'a')}, {2, std::string(100, 'b')}, {3, std::string(100, 'c')}});
    SECTION("frame table lost") {
        img.resize(img.size() - 6);
        Collector c;
        const auto r = read_netmon(img, "cut.cap", c);
        REQUIRE(r.error);
        CHECK(r.error->rfind("cut.cap: bad Network Monitor header", 0) == 0);
        CHECK(c.packets.empty());
    }
    SECTION("a frame cut short") {
        const std::size_t table = img.size() - 12;
        Bytes cut(img.begin(), img.begin() + 128 + 2 * 118 + 50);  // into the third frame
        const Bytes tail(img.begin() + static_cast<std::ptrdiff_t>(table), img.end());
        put32(cut, 24, static_cast<std::uint32_t>(cut.size()));
        cut.insert(cut.end(), tail.begin(), tail.end());
        // the third offset still points into the frame, whose bytes now run into the table
        Collector c;
        const auto r = read_netmon(cut, "cut.cap", c);
        REQUIRE(r.error);
        CHECK(r.error->find("cut.cap: frame 3 at offset ") == 0);
        CHECK(r.error->find("read stopped after 2 frames") != std::string::npos);
        CHECK(c.packets.size() == 2);
    }
}

TEST_CASE("[netmon] bad headers: one line naming the file, no frames", "[netmon]") {
    const auto good = image(0, 1, {{0, "x"}});
    const auto check_bad = [](const Bytes& img, const char* says) {
        Collector c;
        const auto r = read_netmon(img, "bad.cap", c);
        REQUIRE(r.error);
        CHECK(r.error->rfind("bad.cap: ", 0) == 0);
        CHECK(r.error->find(says) != std::string::npos);
        CHECK(r.error->find('\n') == std::string::npos);
        CHECK(c.packets.empty());
    };
    check_bad(Bytes(good.begin(), good.begin() + 20), "header truncated");
    auto v = good;
    v[0] = std::byte{'R'};  // "RMBU"
    check_bad(v, "no GMBU magic");
    v = good;
    v[5] = std::byte{1};  // version 1.x
    check_bad(v, "version 1.0");
    v = good;
    put16(v, 10, 13);  // month 13
    check_bad(v, "bad Network Monitor header");
    v = good;
    put32(v, 24, 0xfffffff0);  // frame table far outside the file
    check_bad(v, "frame table at 4294967280");
}

TEST_CASE("[netmon] every prefix and every one-byte corruption is read safely", "[netmon]") {
    const auto img = image(3, 1, {{1, "alpha"}, {2, std::string(300, 'b')}, {3, "gamma"}});
    for (std::size_t n = 0; n <= img.size(); ++n) {
        Collector c;
        const auto r = read_netmon(std::span(img).first(n), "p.cap", c);
        CHECK(c.packets.size() <= 3);
        if (n < img.size()) CHECK(r.error);
    }
    for (std::size_t i = 0; i < img.size(); ++i) {
        auto v = img;
        v[i] ^= std::byte{0xA5};
        Collector c;
        read_netmon(v, "p.cap", c);
        CHECK(c.packets.size() <= 3);
    }
}
