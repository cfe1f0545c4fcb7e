// `read --threads N` decodes connections on N threads and must print exactly what one thread
// prints: the same events in the same order with the same seq numbers, findings included.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "capture_run_support.hpp"
#include "requirement_support.hpp"

namespace {

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

// The SIP message count the generator wrote next to the capture ("sip_messages": N).
std::size_t generated_sip_messages(const std::string& meta_path) {
    std::ifstream in(meta_path);
    std::stringstream text;
    text << in.rdbuf();
    const std::string s = text.str();
    const auto at = s.find("\"sip_messages\"");
    REQUIRE(at != std::string::npos);
    return std::stoul(s.substr(s.find(':', at) + 1));
}

}  // namespace

TEST_CASE("[read] --threads 2 and 3 print what --threads 1 prints on bench's generated capture", "[read][threads]") {
    test::require_available("python3", test::on_path("python3"), "apt-get install python3");
    const auto dir = std::filesystem::temp_directory_path() / "siptap-read-threads";
    std::filesystem::create_directories(dir);
    const auto cap = (dir / "sip-4mb.pcap").string();
    // UDP and TCP connections that overlap, reconnects, RSTs, split INVITEs: a 4 MB slice of
    // the benchmark's traffic (about 8,000 packets: several of the workers' chunks), the same
    // for the same seed.
    const auto gen = test::run_shell("python3 '" SIPTAP_SOURCE_DIR "/bench/make_sip_capture.py' '" + cap +
                                     "' --size-mb 4 --seed 7 >/dev/null && echo ok", 120);
    REQUIRE(gen.out == "ok\n");
    const std::size_t sip_messages = generated_sip_messages(cap + ".meta.json");
    REQUIRE(sip_messages > 1000);

    for (const std::string format : {"--json", "--no-color"}) {
        CAPTURE(format);
        const auto one = test::run_siptap({"read", format, "--threads", "1", cap}, 120);
        REQUIRE(one.exit_code == 0);
        if (format == "--json") CHECK(count_of(one.out, "\"event\":\"sip\"") == sip_messages);
        for (const std::string threads : {"2", "3"}) {
            CAPTURE(threads);
            const auto many = test::run_siptap({"read", format, "--threads", threads, cap}, 120);
            CHECK(many.exit_code == one.exit_code);
            CHECK(many.out.size() == one.out.size());
            CHECK(many.out == one.out);  // byte for byte
        }
    }
    // With --filter the JSON sink sees only some events: lines written ahead for the others
    // must not end up in the output.
    const std::vector<std::string> filtered{"read", "--json", "--filter", "method INVITE or status 5xx", cap};
    const auto one = test::run_siptap(filtered, 120);
    REQUIRE(one.exit_code == 0);
    REQUIRE(count_of(one.out, "\"event\":\"sip\"") > 100);
    auto args = filtered;
    args.insert(args.begin() + 1, {"--threads", "2"});
    const auto two = test::run_siptap(args, 120);
    CHECK(count_of(two.out, "\n") < count_of(test::run_siptap({"read", "--json", cap}, 120).out, "\n"));
    CHECK(two.out == one.out);
    std::filesystem::remove_all(dir);
}

TEST_CASE("[read] --threads keeps the order of bad-packet notices, several files and findings", "[read][threads]") {
    // Notices the reader itself emits (bad packets), conn ids continued across files, and
    // findings from the analysis, which runs on the merged stream.
    const std::vector<std::vector<std::string>> runs = {
        {test::pcap("bad/bad-packets.pcap")},
        {test::pcap("sip-udp-call.pcap"), test::pcap("sip-tcp-gap.pcap"), test::pcap("sip-tcp-segmented.pcap")},
        {test::pcap("sip-options-504-ms-diagnostics.pcap"), test::pcap("sip-tcp-reorder.pcap"),
         test::pcap("sip-ipv4-fragmented.pcap")},
    };
    for (const auto& files : runs) {
        CAPTURE(files);
        std::vector<std::string> args{"read", "--json"};
        args.insert(args.end(), files.begin(), files.end());
        const auto one = test::run_siptap(args);
        args.insert(args.begin() + 2, {"--threads", "2"});
        const auto two = test::run_siptap(args);
        REQUIRE(!one.out.empty());
        CHECK(two.exit_code == one.exit_code);
        CHECK(two.out == one.out);
    }
}

TEST_CASE("[read] --threads 2 and 3 print what one thread prints for every sample capture, JSON and text", "[read][threads]") {
    // Each file alone: TCP and UDP, IPv6, fragments, gaps, Network Monitor, bad and truncated
    // files; the TLS captures with embedded keys decrypt on one thread whatever is asked.
    std::vector<std::string> files;
    for (const auto* dir : {SIPTAP_PCAP_DIR, SIPTAP_PCAP_DIR "/bad"})
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            const auto ext = entry.path().extension();
            if (ext == ".pcap" || ext == ".pcapng" || ext == ".cap") files.push_back(entry.path().string());
        }
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() > 40);
    for (const auto& file : files) {
        for (const std::string format : {"--json", "--no-color"}) {
            CAPTURE(file, format);
            const auto one = test::run_siptap({"read", format, "--threads", "1", file});
            for (const std::string threads : {"2", "3"}) {
                const auto many = test::run_siptap({"read", format, "--threads", threads, file});
                CHECK(many.exit_code == one.exit_code);
                CHECK(many.out == one.out);
            }
        }
    }
}
