// Every capture under pcaps/ (bad/ included) against its reviewed golden file
// <capture>.events.jsonl: the exact stdout of `siptap read CAPTURE --json`, so what is compared
// is what the shipped JSON writer prints. After a deliberate change of output, regenerate with
//   SIPTAP_UPDATE_GOLDEN=1 build/tests/cli_tests "[golden]"
// which rewrites the files, prints each diff and FAILS, so a rewrite never passes unseen: review
// the diffs (git diff pcaps/), then run the test again without the variable.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "capture_run_support.hpp"
#include "decoder/sinks/json_sink.hpp"
#include "reference_json.hpp"
#include "decoder/sinks/json_writer.hpp"

namespace {

std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// Every capture file under pcaps/, by content type as named: pcap, pcapng, Network Monitor.
std::vector<std::filesystem::path> sample_captures() {
    std::vector<std::filesystem::path> found;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(SIPTAP_PCAP_DIR)) {
        const auto ext = entry.path().extension();
        if (entry.is_regular_file() && (ext == ".pcap" || ext == ".pcapng" || ext == ".cap"))
            found.push_back(entry.path());
    }
    std::sort(found.begin(), found.end());
    return found;
}

}  // namespace

TEST_CASE("[golden] each capture in pcaps/ gives exactly its reviewed event stream", "[golden]") {
    const auto captures = sample_captures();
    REQUIRE(captures.size() >= 25);  // the directory was found and holds the samples
    const bool update = std::getenv("SIPTAP_UPDATE_GOLDEN") != nullptr;
    for (const auto& capture : captures) {
        CAPTURE(capture.string());
        const auto run = test::run_siptap({"read", capture.string(), "--json"});
        CAPTURE(run.err);
        CHECK((run.exit_code == 0 || run.exit_code == 1 || run.exit_code == 2));  // never a crash
        auto golden = capture;
        golden.replace_extension(".events.jsonl");
        if (update) {
            const auto before = std::filesystem::exists(golden) ? slurp(golden) : std::string();
            if (std::filesystem::exists(golden) && before == run.out) continue;
            const auto old_copy = std::filesystem::temp_directory_path() / ("siptap-golden-" + golden.filename().string());
            std::ofstream(old_copy, std::ios::binary) << before;
            std::ofstream(golden, std::ios::binary) << run.out;
            const auto diff = test::run_shell("diff -u '" + old_copy.string() + "' '" + golden.string() + "' | head -n 80");
            std::filesystem::remove(old_copy);
            FAIL_CHECK("rewrote " << golden.string() << ": review this diff, then rerun without SIPTAP_UPDATE_GOLDEN\n"
                                  << diff.out);
            continue;
        }
        REQUIRE(std::filesystem::exists(golden));  // a new capture needs its reviewed golden file
        const auto actual = split_lines(run.out), expected = split_lines(slurp(golden));
        for (std::size_t i = 0; i < std::max(actual.size(), expected.size()); ++i) {
            CAPTURE(i);
            REQUIRE((i < actual.size() ? actual[i] : "<missing>") == (i < expected.size() ? expected[i] : "<missing>"));
        }
    }
}

TEST_CASE("[golden] the fast JSON writer gives the bytes of the reference serialiser", "[golden]") {
    std::size_t compared = 0;
    for (const char* capture : {"sip-udp-call.pcap", "sip-options-504-ms-diagnostics.pcap", "sip-ipv6.pcapng",
                                "bad/bad-packets.pcap", "tls-wildcard-incident.pcapng", "tls-expired-cert.pcapng",
                                "tls-no-client-cert.pcapng", "tls-reset-mid-dialog.pcapng"}) {
        for (const auto& e : test::read_events({test::pcap(capture)})) {
            std::string fast;
            decoder::append_json(e, fast);
            CHECK(fast == test::reference_json(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
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
    CHECK(fast == test::reference_json(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}
