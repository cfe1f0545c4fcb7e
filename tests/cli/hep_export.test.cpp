// siptap read --hep sends every SIP message as HEPv3 over UDP to the given address.
// A real UDP socket of the test receives them; each must be a well-formed HEPv3 packet whose
// payload is the SIP message, in capture order. (Debian 12's tshark 4.0 has no HEP
// dissector; hep_kamailio.test.cpp has a real HOMER-style node judge the packets.)
#include <catch2/catch.hpp>

#include "capture_run_support.hpp"
#include "udp_receiver_support.hpp"

namespace {

// The payload chunk (type 0x000f) of a HEPv3 packet, or "" when the packet is malformed.
std::string hep_payload(const std::string& p) {
    auto u16 = [&](std::size_t at) { return (std::uint8_t(p[at]) << 8) | std::uint8_t(p[at + 1]); };
    if (p.size() < 6 || p.compare(0, 4, "HEP3") != 0 || u16(4) != static_cast<int>(p.size())) return "";
    for (std::size_t at = 6; at + 6 <= p.size();) {
        const auto type = u16(at + 2), len = u16(at + 4);
        if (len < 6 || at + len > p.size()) return "";
        if (type == 0x000f) return p.substr(at + 6, len - 6);
        at += len;
    }
    return "";
}

}  // namespace

TEST_CASE("[hep] --hep sends each SIP message as HEPv3 to the given address", "[hep]") {
    UdpReceiver homer;
    const auto run = test::run_siptap(
        {"read", "--json", "--hep", "127.0.0.1:" + std::to_string(homer.port), test::pcap("sip-udp-call.pcap")});
    CHECK(run.exit_code == 0);
    const auto packets = homer.drain();
    REQUIRE(packets.size() == 7);
    std::vector<std::string> first_lines;
    for (const auto& p : packets) {
        const auto sip = hep_payload(p);
        first_lines.push_back(sip.substr(0, sip.find("\r\n")));
    }
    CHECK(first_lines == std::vector<std::string>{
                             "INVITE sip:bob@192.0.2.20:5060 SIP/2.0", "SIP/2.0 100 Trying", "SIP/2.0 180 Ringing",
                             "SIP/2.0 200 OK", "ACK sip:bob@192.0.2.20:5060 SIP/2.0",
                             "BYE sip:bob@192.0.2.20:5060 SIP/2.0", "SIP/2.0 200 OK"});
}

TEST_CASE("[hep] a bad --hep address is a usage error naming it", "[hep]") {
    const auto run = test::run_siptap({"read", "--hep", "homer.example:9060", test::pcap("sip-udp-call.pcap")});
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Catch::Contains("--hep homer.example:9060"));
}

TEST_CASE("[hep] with --filter only the matching messages are exported", "[hep]") {
    UdpReceiver homer;
    const auto run = test::run_siptap({"read", "--filter", "method REGISTER", "--hep",
                                       "127.0.0.1:" + std::to_string(homer.port), test::pcap("sip-ipv6.pcapng")});
    CHECK(run.exit_code == 0);
    const auto packets = homer.drain();
    REQUIRE(packets.size() == 4);  // the capture also holds two OPTIONS transactions
    for (const auto& p : packets) CHECK_THAT(hep_payload(p), Catch::Contains(" REGISTER\r\n"));
}
