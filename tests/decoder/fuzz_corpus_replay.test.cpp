// Replays every committed fuzz input (seeds and the crashers fuzzing found, kept under
// descriptive names) through the parsers in the normal build, so a fixed crash stays fixed
// even where clang/libFuzzer is not used.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "decoder/sip_parser.hpp"
#include "decoder/sip_stream.hpp"
#include "decoder/tls_session.hpp"
#include "decoder/x509_summary.hpp"

using namespace decoder;

namespace {

std::vector<std::string> corpus(const std::string& target) {
    std::vector<std::string> inputs;
    const auto dir = std::filesystem::path(SIPTAP_SOURCE_DIR) / "tests" / "fuzz" / "corpus" / target;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        std::ifstream in(entry.path(), std::ios::binary);
        inputs.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return inputs;
}

std::span<const std::byte> bytes(const std::string& s) {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("[fuzz] SIP corpus replays without a crash and parses the seeds", "[fuzz]") {
    std::size_t complete = 0;
    const auto inputs = corpus("sip");
    REQUIRE(inputs.size() > 10);
    for (const auto& input : inputs) {
        complete += parse_sip_message(input, SipFraming::Datagram).status == ParseStatus::Complete;
        SipStream stream;
        std::vector<Payload> out;
        stream.feed(bytes(input), out);
        stream.finish(out);
    }
    CHECK(complete > inputs.size() / 2);  // the seeds are real SIP payloads
}

TEST_CASE("[fuzz] TLS corpus replays without a crash", "[fuzz]") {
    const auto inputs = corpus("tls");
    REQUIRE_FALSE(inputs.empty());
    for (const auto& input : inputs) {
        if (input.size() < 2) continue;
        const auto body = bytes(input).subspan(1);
        const std::size_t split = static_cast<unsigned char>(input[0]) * body.size() / 255;
        TlsSession session;
        std::vector<Payload> out;
        session.feed(Dir::ClientToServer, body.subspan(0, split), out);
        session.feed(Dir::ServerToClient, body.subspan(split), out);
        CHECK_FALSE(out.empty());
    }
}

TEST_CASE("[fuzz] X.509 corpus replays without a crash", "[fuzz]") {
    std::size_t parsed = 0;
    const auto inputs = corpus("x509");
    for (const auto& input : inputs) {
        std::string error;
        parsed += summarize_certificate(bytes(input), Side::Client, 0, &error).has_value();
    }
    CHECK(parsed == inputs.size());  // the seeds are the project's real certificates
}
