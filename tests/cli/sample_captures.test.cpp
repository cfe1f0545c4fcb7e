// The sample captures under pcaps/ are the project's own: each set has a script that makes it
// (pcaps/README.md). These tests keep the scripts and the committed files from drifting apart:
// the plaintext generator must rebuild its captures byte for byte, and the recorded TLS
// captures must still pass the tshark checks of the peers that recorded them.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>

#include "capture_run_support.hpp"
#include "requirement_support.hpp"
#include "views_support.hpp"

namespace {

namespace fs = std::filesystem;

// The scenario names a peers script offers (`list`), one per line.
std::set<std::string> scenarios(const std::string& script) {
    const auto listed = test::run_shell("python3 '" SIPTAP_PCAP_DIR "/" + script + "' list", 30);
    REQUIRE(listed.exit_code == 0);
    const auto lines = test::non_empty_lines(listed.out);
    return {lines.begin(), lines.end()};
}

// Runs the script's `check` on the committed captures; returns the scenarios it passed.
std::set<std::string> passed_checks(const std::string& script) {
    const auto checked = test::run_shell("python3 '" SIPTAP_PCAP_DIR "/" + script + "' check --dir '" SIPTAP_PCAP_DIR "' 2>&1", 240);
    INFO(checked.out);
    CHECK(checked.exit_code == 0);
    std::set<std::string> ok;
    for (const auto& line : test::non_empty_lines(checked.out)) {
        std::istringstream words(line);
        std::string name, verdict;
        if (words >> name >> verdict && verdict == "OK") ok.insert(name);
    }
    return ok;
}

}  // namespace

TEST_CASE("[pcaps] make_plain_pcaps.py rebuilds every plaintext sample capture byte for byte", "[pcaps]") {
    test::require_available("python3", test::on_path("python3"), "apt-get install python3");
    const fs::path out = fs::temp_directory_path() / "siptap-plain-pcaps";
    fs::remove_all(out);
    const auto made = test::run_shell("python3 '" SIPTAP_PCAP_DIR "/make_plain_pcaps.py' --out '" + out.string() +
                                      "' && echo ok", 60);
    REQUIRE(made.out == "ok\n");

    std::set<std::string> written;
    for (const auto& entry : fs::recursive_directory_iterator(out)) {
        if (!entry.is_regular_file()) continue;
        const auto name = fs::relative(entry.path(), out).string();
        CAPTURE(name);
        written.insert(name);
        const fs::path committed = fs::path(SIPTAP_PCAP_DIR) / name;
        REQUIRE(fs::exists(committed));
        const bool same = views_test::slurp(entry.path()) == views_test::slurp(committed);  // not printed: binary
        CHECK(same);
    }
    // The incident's capture, a pcapng and the broken files are among them (README.md lists 17).
    CHECK(written.size() == 17);
    CHECK(written.count("sip-options-504-ms-diagnostics.pcap") == 1);
    CHECK(written.count("sip-ipv6.pcapng") == 1);
    CHECK(written.count("bad/truncated.pcap") == 1);
    fs::remove_all(out);
}

TEST_CASE("[pcaps] every recorded TLS sample capture still passes its peers' tshark checks", "[pcaps][tshark]") {
    test::require_available("python3", test::on_path("python3"), "apt-get install python3");
    test::require_available("tshark", test::on_path("tshark"), "apt-get install tshark");
    // tls_peers.py: the UM-Lync scenarios; windows_failure_peers.py: the Schannel-style
    // failures (it reuses tls_peers.py's peers with its own scenarios and expectations).
    for (const std::string script : {"tls_peers.py", "windows_failure_peers.py"}) {
        CAPTURE(script);
        const auto names = scenarios(script);
        REQUIRE(names.size() >= 10);
        CHECK(passed_checks(script) == names);
    }
}
