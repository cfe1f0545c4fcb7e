// Regular capture files are read through a memory mapping (capture/mapped_file.hpp): what
// happens when another program cuts the file under it, and how much of it stays resident.
#include <catch2/catch.hpp>

#include <pcap/pcap.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <string>
#include <vector>

#include "capture/mapped_file.hpp"
#include "capture/pcap_file_reader.hpp"
#include "packet_builder_support.hpp"

using namespace capture_test;

namespace {

// 2,000 UDP packets of 1,200 bytes: about 2.5 MB.
std::string write_big_capture(const std::string& name) {
    const std::string path = temp_path(name);
    write_pcap(path, DLT_EN10MB, bulk_udp_records(2000));
    return path;
}

// The file-backed memory this process has resident, in KB: RssFile, plus RssShmem for a file
// on tmpfs (where CI's /tmp may be), from /proc/self/status; -1 when neither is there.
long resident_file_kb() {
    std::ifstream status("/proc/self/status");
    std::string key;
    long total = -1;
    while (status >> key) {
        if (key == "RssFile:" || key == "RssShmem:") {
            long value = 0;
            status >> value;
            total = std::max(total, 0L) + value;
        }
        status.ignore(1 << 12, '\n');
    }
    return total;
}

struct Count : capture::PacketHandler {
    std::uint64_t packets = 0;
    void on_packet(const capture::RawPacket&) noexcept override { ++packets; }
};

}  // namespace

TEST_CASE("PcapFileReader names the problem when the file is cut while it is being read", "[capture]") {
    const std::string path = write_big_capture("shrinking.pcap");
    capture::PcapFileReader reader(path);  // maps the whole file
    // Another program truncates it (at a page boundary: the rest of a page past the end reads
    // as zeros, the next page faults).
    REQUIRE(::truncate(path.c_str(), 73 * 4096) == 0);
    Count count;
    const auto result = reader.read_all(count);  // without the guard: killed by SIGBUS here
    REQUIRE(result.error.has_value());
    CHECK(result.error->rfind(path + ": read error after ", 0) == 0);
    CHECK(result.error->find("the file became shorter while being read") != std::string::npos);
    CHECK(count.packets > 100);
    CHECK(count.packets < 2000);
    CHECK(result.packets == count.packets);
    std::remove(path.c_str());
}

TEST_CASE("MappedFile copies within the file, reports the end, and refuses what it cannot map", "[capture]") {
    const std::string path = temp_path("mapped.bin");
    write_file(path, Buf{std::byte{1}, std::byte{2}, std::byte{3}});
    std::string problem;
    auto file = capture::MappedFile::open(path, problem);
    REQUIRE(file != nullptr);
    REQUIRE(file->size() == 3);
    char out[8] = {};
    CHECK(file->copy(1, out, sizeof out) == 2);
    CHECK(out[0] == 2);
    CHECK(out[1] == 3);
    CHECK(file->copy(3, out, sizeof out) == 0);
    CHECK_FALSE(file->shrunk());

    CHECK(capture::MappedFile::open(temp_path("no-such-file"), problem) == nullptr);
    CHECK(problem == "No such file or directory");
    write_file(path, Buf{});
    CHECK(capture::MappedFile::open(path, problem) == nullptr);
    CHECK(problem == "empty file");
    CHECK(capture::MappedFile::open("/dev/null", problem) == nullptr);
    CHECK(problem == "not a regular file");
    std::remove(path.c_str());
}

TEST_CASE("A sequential read through MappedFile keeps only a few megabytes resident", "[capture]") {
    const std::string path = temp_path("resident.bin");
    write_file(path, Buf(24 << 20, std::byte{'r'}));
    std::string problem;
    std::vector<char> block(64 << 10);
    const auto read_through = [&](bool release) {
        auto file = capture::MappedFile::open(path, problem);
        REQUIRE(file != nullptr);
        const long before = resident_file_kb();
        REQUIRE(before >= 0);
        std::size_t at = 0;
        for (long got; (got = file->copy(at, block.data(), block.size())) > 0;) {
            at += static_cast<std::size_t>(got);
            if (release) file->release_before(at);
        }
        REQUIRE(at == file->size());
        return resident_file_kb() - before;
    };
    // Without giving pages back the whole file is resident: the measure itself works.
    CHECK(read_through(false) > 20 << 10);
    CHECK(read_through(true) < 6 << 10);
    std::remove(path.c_str());
}

TEST_CASE("A bus error outside a MappedFile copy still ends the process", "[capture]") {
    const std::string path = write_big_capture("bus-error.pcap");
    std::string problem;
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::alarm(10);  // a handler that swallowed the signal would fault again forever
        auto file = capture::MappedFile::open(path, problem);
        if (file == nullptr || ::truncate(path.c_str(), 4096) != 0) ::_exit(3);
        volatile std::byte last = file->bytes()[file->size() - 1];  // unguarded: SIGBUS
        (void)last;
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CAPTURE(status);
    CHECK_FALSE((WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 3)));
    CHECK_FALSE((WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM));
#if !defined(__SANITIZE_ADDRESS__)
    // (AddressSanitizer reports the fault itself and exits with its own status.)
    CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS));
#endif
    std::remove(path.c_str());
}
