// Every sample capture's full event stream, diffed against its reviewed golden file
// pcaps/<capture>.events.jsonl. After a deliberate change of output, regenerate with
//   SIPTAP_UPDATE_GOLDEN=1 build/tests/cli_tests "[golden]"
// and review the diff before committing it.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "capture_run_support.hpp"
#include "decoder/json_sink.hpp"
#include "decoder/json_writer.hpp"

namespace {

std::vector<std::string> lines_of(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::vector<std::string> render(const std::vector<decoder::Event>& events) {
    std::vector<std::string> lines;
    for (const auto& e : events)
        lines.push_back(decoder::to_json(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return lines;
}

}  // namespace

TEST_CASE("[golden] each sample capture gives exactly its reviewed event stream", "[golden]") {
    const std::string capture = GENERATE(as<std::string>{},
        "sip-udp-call.pcap", "sip-tcp-segmented.pcap", "sip-options-504-ms-diagnostics.pcap",
        "sip-ipv6.pcapng", "sip-vlan.pcap", "sip-linux-sll.pcap", "sip-linux-sll2.pcap", "sip-raw-ip.pcap",
        "sip-bsd-null.pcap", "sip-ipv4-fragmented.pcap", "sip-tcp-reorder.pcap", "sip-tcp-gap.pcap",
        "bad/bad-packets.pcap", "tls-good.pcapng", "tls-wildcard-incident.pcapng", "tls-untrusted-ca.pcapng",
        "tls-expired-cert.pcapng", "tls-no-client-cert.pcapng", "tls-reset-mid-dialog.pcapng",
        "tls13-wildcard-incident.pcapng", "tls12-chacha-good.pcapng", "tls12-cbc-good.pcapng");
    CAPTURE(capture);
    const auto actual = render(test::read_events({test::pcap(capture)}));
    const auto golden_path = test::pcap(capture.substr(0, capture.rfind('.')) + ".events.jsonl");
    if (std::getenv("SIPTAP_UPDATE_GOLDEN")) {
        std::ofstream out(golden_path);
        for (const auto& line : actual) out << line << '\n';
        WARN("rewrote " << golden_path);
        return;
    }
    const auto expected = lines_of(golden_path);
    REQUIRE_FALSE(expected.empty());
    for (std::size_t i = 0; i < std::max(actual.size(), expected.size()); ++i) {
        CAPTURE(i);
        REQUIRE((i < actual.size() ? actual[i] : "<missing>") == (i < expected.size() ? expected[i] : "<missing>"));
    }
}

TEST_CASE("[golden] the fast JSON writer gives the bytes of the reference to_json", "[golden]") {
    std::size_t compared = 0;
    for (const char* capture : {"sip-udp-call.pcap", "sip-options-504-ms-diagnostics.pcap", "sip-ipv6.pcapng",
                                "bad/bad-packets.pcap", "tls-wildcard-incident.pcapng", "tls-expired-cert.pcapng",
                                "tls-no-client-cert.pcapng", "tls-reset-mid-dialog.pcapng"}) {
        for (const auto& e : test::read_events({test::pcap(capture)})) {
            std::string fast;
            decoder::append_json(e, fast);
            CHECK(fast == decoder::to_json(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
            ++compared;
        }
    }
    CHECK(compared > 100);
    // Control bytes, quotes and invalid UTF-8 from the wire escape the same way.
    decoder::Event e;
    decoder::Notice n{"sip-error", std::string("a\"b\\c\x01\x1f\t\r\n\x7f") + "\xc3\xa9" + "\xff" + "z"};
    e.payload = n;
    std::string fast;
    decoder::append_json(e, fast);
    CHECK(fast == decoder::to_json(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}
