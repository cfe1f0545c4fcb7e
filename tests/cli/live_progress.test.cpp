// Progress on stderr while `read` works through a file: the line's content, that every
// packet still reaches the processor, and that nothing is drawn when stderr is not a terminal.
#include <catch2/catch.hpp>

#include <sstream>
#include <vector>

#include "views_support.hpp"
// cli/ sources are built only into the siptap executable, not a library the tests link;
// progress.cpp depends on nothing else in cli/, so it is compiled in here.
#include "cli/progress.cpp"  // NOLINT(bugprone-suspicious-include)

namespace {

struct Counter : capture::PacketHandler {
    int packets = 0;
    void on_packet(const capture::RawPacket&) noexcept override { ++packets; }
};

}  // namespace

TEST_CASE("[progress] the line says bytes, percent and MB/s", "[progress]") {
    CHECK(cli::format_progress("a.pcap", 512 * 1024, 1024 * 1024, 0.5) == "a.pcap  0.5/1.0 MB   50%  1.0 MB/s");
    CHECK(cli::format_progress("a.pcap", 3 << 20, 2 << 20, 1.0) == "a.pcap  2.0/2.0 MB  100%  3.0 MB/s");
    CHECK(cli::format_progress("a.pcap", 1 << 20, 0, 0) == "a.pcap  1.0 MB  0.0 MB/s");
}

TEST_CASE("[progress] drawn only when enabled, cleared at the end", "[progress]") {
    const std::string file = SIPTAP_PCAP_DIR "/sip-udp-call.pcap";
    std::vector<std::byte> frame(100);
    capture::RawPacket packet;
    packet.data = frame;
    for (bool enabled : {true, false}) {
        CAPTURE(enabled);
        Counter next;
        std::ostringstream err;
        {
            cli::ProgressHandler progress(next, file, err, enabled, std::chrono::milliseconds(0),
                                          std::chrono::milliseconds(0));
            for (int i = 0; i < 3; ++i) progress.on_packet(packet);
        }
        CHECK(next.packets == 3);
        if (!enabled) {
            CHECK(err.str().empty());
            continue;
        }
        const auto text = err.str();
        CHECK(text.find("\rsiptap: sip-udp-call.pcap  0.0/0.0 MB") != std::string::npos);
        CHECK(text.find("MB/s") != std::string::npos);
        CHECK(text.back() == '\r');  // the last thing drawn is the cleared line
    }
}

TEST_CASE("[progress] siptap read with stderr not a terminal shows no progress", "[progress]") {
    const auto run = views_test::run(views_test::quote(SIPTAP_BINARY) + " read " +
                                     views_test::quote(SIPTAP_PCAP_DIR "/sip-udp-call.pcap") + " 2>&1 >/dev/null");
    CHECK(run.exit_code == 0);
    CHECK(run.out.find("MB/s") == std::string::npos);
    CHECK(run.out.find('\r') == std::string::npos);
}
