#include <catch2/catch.hpp>

#include <map>

#include "decoder/sinks/hep_encoder.hpp"

using namespace decoder;

namespace {

// Parses a HEPv3 packet back into (type -> payload), checking every length on the way.
std::map<std::uint16_t, std::string> chunks(const std::vector<std::byte>& p) {
    auto u16 = [&](std::size_t at) { return static_cast<std::uint16_t>((std::to_integer<int>(p[at]) << 8) | std::to_integer<int>(p[at + 1])); };
    REQUIRE(p.size() >= 6);
    REQUIRE(std::string(reinterpret_cast<const char*>(p.data()), 4) == "HEP3");
    REQUIRE(u16(4) == p.size());
    std::map<std::uint16_t, std::string> out;
    for (std::size_t at = 6; at < p.size();) {
        REQUIRE(at + 6 <= p.size());
        CHECK(u16(at) == 0);  // generic vendor
        const auto type = u16(at + 2), len = u16(at + 4);
        REQUIRE(len >= 6);
        REQUIRE(at + len <= p.size());
        out[type] = std::string(reinterpret_cast<const char*>(p.data()) + at + 6, len - 6);
        at += len;
    }
    return out;
}

Event sip_event(std::string src, std::string dst) {
    Event e;
    e.ts = 1'772'442'900'123'456;
    e.src = {std::move(src), 50123};
    e.dst = {std::move(dst), 5060};
    e.transport = Transport::Udp;
    SipMessage m;
    m.call_id = "abc@host";
    m.raw = "OPTIONS sip:x SIP/2.0\r\nCall-ID: abc@host\r\n\r\n";
    e.payload = m;
    return e;
}

}  // namespace

TEST_CASE("[hep] a SIP event becomes a HEPv3 packet with every chunk", "[hep]") {
    const auto packet = encode_hep(sip_event("10.0.0.2", "10.0.0.3"), HepOptions{77, "secret", "siptap"});
    REQUIRE(packet);
    auto c = chunks(*packet);
    CHECK(c.at(0x0001) == std::string(1, '\x02'));
    CHECK(c.at(0x0002) == std::string(1, '\x11'));
    CHECK(c.at(0x0003) == std::string("\x0a\x00\x00\x02", 4));
    CHECK(c.at(0x0004) == std::string("\x0a\x00\x00\x03", 4));
    CHECK(c.at(0x0007) == std::string("\xc3\xcb", 2));  // 50123
    CHECK(c.at(0x0008) == std::string("\x13\xc4", 2));  // 5060
    CHECK(c.at(0x000b) == std::string(1, '\x01'));
    CHECK(c.at(0x000c) == std::string("\x00\x00\x00\x4d", 4));
    CHECK(c.at(0x000e) == "secret");
    CHECK(c.at(0x0011) == "abc@host");
    CHECK(c.at(0x000f) == "OPTIONS sip:x SIP/2.0\r\nCall-ID: abc@host\r\n\r\n");
    const auto& usec = c.at(0x000a);
    CHECK(((std::uint8_t(usec[1]) << 16) | (std::uint8_t(usec[2]) << 8) | std::uint8_t(usec[3])) == 123456);
}

TEST_CASE("[hep] IPv6 addresses and events that are not SIP", "[hep]") {
    const auto packet = encode_hep(sip_event("2001:db8::10", "2001:db8::20"), {});
    REQUIRE(packet);
    auto c = chunks(*packet);
    CHECK(c.at(0x0001) == std::string(1, '\x0a'));
    CHECK(c.at(0x0005).size() == 16);
    CHECK(c.count(0x0003) == 0);
    CHECK_FALSE(encode_hep(sip_event("not-an-ip", "10.0.0.3"), {}));
    Event open;
    open.payload = ConnOpen{};
    CHECK_FALSE(encode_hep(open, {}));
}
