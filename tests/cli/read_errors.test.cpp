// Bad input: a one-line error naming the file and the problem, exit code 2, never a crash;
// a bad packet is skipped, reported and counted while the run goes on.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "capture_run_support.hpp"

namespace {

std::size_t count_lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_CASE("[read] unusable inputs exit 2 with one line naming the file", "[read]") {
    using Row = std::tuple<std::string, std::string>;
    auto [file, problem] = GENERATE(table<std::string, std::string>({
        Row{"does-not-exist.pcap", "No such file"},
        Row{"bad/not-a-capture.pcap", "unknown file format"},
        Row{"bad/unknown-linktype.pcap", "147"},
    }));
    CAPTURE(file);
    const auto r = test::run_siptap({"read", "--no-color", test::pcap(file)});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(file) && Catch::Contains(problem, Catch::CaseSensitive::No));
    CHECK(r.out.empty());
}

TEST_CASE("[read] a truncated capture: events up to the damage, then exit 2", "[read]") {
    const auto r = test::run_siptap({"read", "--json", test::pcap("bad/truncated.pcap")});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("bad/truncated.pcap"));
    CHECK_THAT(r.out, Catch::Contains("\"method\":\"INVITE\""));
    CHECK_THAT(r.out, Catch::Contains("\"status\":180"));
}

TEST_CASE("[read] bad packets are skipped, reported and counted", "[read]") {
    const auto r = test::run_siptap({"read", "--json", test::pcap("bad/bad-packets.pcap")});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("2 bad packets skipped"));
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') > 0);
    std::size_t notices = 0, sip = 0;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        notices += line.find("\"event\":\"notice\"") != std::string::npos;
        sip += line.find("\"event\":\"sip\"") != std::string::npos;
    }
    CHECK(notices == 2);
    CHECK(sip == 4);
}

TEST_CASE("[read] an empty capture and several files in one run", "[read]") {
    auto r = test::run_siptap({"read", test::pcap("bad/empty.pcap")});
    CHECK(r.exit_code == 0);
    CHECK(r.out.empty());
    r = test::run_siptap({"read", "--json", test::pcap("sip-udp-call.pcap"), test::pcap("sip-vlan.pcap"),
                          test::pcap("bad/not-a-capture.pcap")});
    CHECK(r.exit_code == 2);  // the bad one is named, the good ones are still read
    CHECK_THAT(r.out, Catch::Contains("\"conn\":3"));
    CHECK(count_lines(r.err) >= 1);
}

TEST_CASE("[read] exit code 1 when a finding of severity error exists", "[read]") {
    CHECK(test::run_siptap({"read", test::pcap("tls-wildcard-incident.pcapng")}).exit_code == 1);
    CHECK(test::run_siptap({"read", test::pcap("tls-good.pcapng")}).exit_code == 0);
    CHECK(test::run_siptap({"read"}).exit_code == 2);
    CHECK(test::run_siptap({"bogus"}).exit_code == 2);
}

// `tcpdump -w - | siptap read /dev/stdin`, or a shell's <(...): the first look at a file (for
// the Network Monitor magic and pcapng's embedded keys) must not take the bytes of a pipe.
TEST_CASE("[read] a capture through a pipe gives the file's events", "[read]") {
    const auto name = GENERATE(std::string("sip-udp-call.pcap"), std::string("sip-ipv6.pcapng"));
    CAPTURE(name);
    const std::string file = test::quote(test::pcap(name)), bin = test::quote(SIPTAP_BINARY);
    const auto direct = test::run_siptap({"read", "--json", test::pcap(name)});
    REQUIRE(direct.exit_code == 0);
    REQUIRE(count_lines(direct.out) > 3);
    const auto piped = GENERATE_COPY(values<std::string>({
        "cat " + file + " | " + bin + " read --json /dev/stdin",
        "cat " + file + " | " + bin + " read --json -",
        "bash -c " + test::quote(bin + " read --json <(cat " + file + ")"),
    }));
    CAPTURE(piped);
    const auto r = test::run_shell(piped);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("cannot read") == std::string::npos);
    CHECK(r.out == direct.out);
}

TEST_CASE("[read] a compressed or zipped capture is named as such, with a way to read it", "[read]") {
    const auto dir = std::filesystem::temp_directory_path() / ("siptap-packed-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    using Row = std::tuple<std::string, std::string, std::string>;
    const auto [magic, what, reader] = GENERATE(table<std::string, std::string, std::string>({
        Row{"\x1f\x8b\x08", "compressed with gzip", "zcat"},
        Row{"\x28\xb5\x2f\xfd", "compressed with zstd", "zstdcat"},
        Row{"\xfd" "7zXZ", "compressed with xz", "xzcat"},
        Row{"BZh91AY", "compressed with bzip2", "bzcat"},
        Row{"PK\x03\x04\x14", "a zip archive", "unzip -p"},
        Row{"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "7z x -so"},
    }));
    CAPTURE(what);
    const auto file = (dir / "trace.pcapng").string();
    std::ofstream(file, std::ios::binary) << magic << std::string(64, 'x');
    const auto r = test::run_siptap({"read", file});
    CHECK(r.exit_code == 2);
    const auto lines = test::non_empty_lines(r.err);
    const auto about = std::find_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.rfind("siptap: " + file, 0) == 0; });
    REQUIRE(about != lines.end());
    CHECK(*about == "siptap: " + file + ": cannot read capture: " + what +
                        "; unpack it first, or read it through a pipe: " + reader + " '" + file + "' | siptap read -");
    std::filesystem::remove_all(dir);
}

TEST_CASE("[read] the way given for a gzip-compressed capture reads it", "[read]") {
    const auto dir = std::filesystem::temp_directory_path() / ("siptap-gzip-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto gz = (dir / "call.pcap.gz").string();
    REQUIRE(test::run_shell("gzip -c " + test::quote(test::pcap("sip-udp-call.pcap")) + " > " + test::quote(gz)).exit_code == 0);
    const auto refused = test::run_siptap({"read", "--json", gz});
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.err, Catch::Contains("zcat '" + gz + "' | siptap read -"));
    const auto direct = test::run_siptap({"read", "--json", test::pcap("sip-udp-call.pcap")});
    const auto piped = test::run_shell("zcat " + test::quote(gz) + " | " + test::quote(SIPTAP_BINARY) + " read --json -");
    CHECK(piped.exit_code == 0);
    CHECK(!piped.out.empty());
    CHECK(piped.out == direct.out);
    std::filesystem::remove_all(dir);
}

TEST_CASE("[read] a Windows .etl trace is refused with the way to convert it", "[read]") {
    const auto dir = std::filesystem::temp_directory_path() / ("siptap-etl-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto etl = (dir / "NetTrace.ETL").string();
    std::ofstream(etl, std::ios::binary) << std::string(256, '\x02');
    const auto r = test::run_siptap({"read", etl});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("siptap: " + etl + ": cannot read capture: unknown file format; an .etl trace is "
                                      "converted on the server first: pktmon etl2pcap '" + etl + "' --out trace.pcapng"));
    // Any other name keeps libpcap's words alone.
    const auto other = (dir / "NetTrace.bin").string();
    std::filesystem::copy_file(etl, other);
    const auto plain = test::run_siptap({"read", other});
    CHECK_THAT(plain.err, Catch::Contains(other + ": cannot read capture: unknown file format"));
    CHECK(plain.err.find("pktmon") == std::string::npos);
    std::filesystem::remove_all(dir);
}
