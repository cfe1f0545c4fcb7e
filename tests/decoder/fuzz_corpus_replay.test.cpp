// Replays every committed fuzz input (seeds, what long runs found, and the crashers fuzzing
// found, kept under descriptive names) through the fuzz harnesses and the parsers in the
// normal build, so a fixed crash stays fixed even where clang/libFuzzer is not used. The
// seeds (named *.seed, *.der) are real traffic: they must also parse.
#include <catch2/catch.hpp>

#include "decoder/sip/sip_parser.hpp"
#include "decoder/tls/tls_rsa_keys.hpp"
#include "decoder/tls/tls_session.hpp"
#include "decoder/tls/x509_summary.hpp"
#include "fuzz/fuzz_rsa_key.hpp"
#include "fuzz_replay_support.hpp"

using namespace decoder;

SIPTAP_FUZZ_HARNESS(sip);
SIPTAP_FUZZ_HARNESS(tls);
SIPTAP_FUZZ_HARNESS(tls_decrypt);
SIPTAP_FUZZ_HARNESS(tls_record);
SIPTAP_FUZZ_HARNESS(x509);
SIPTAP_FUZZ_HARNESS(keylog);
SIPTAP_FUZZ_HARNESS(filter);
SIPTAP_FUZZ_HARNESS(hep);
SIPTAP_FUZZ_HARNESS(rsa_key);

namespace {

std::span<const std::byte> bytes(const std::string& s) {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

bool is_seed(const std::string& name) {
    return name.ends_with(".seed") || name.ends_with(".der") || name.starts_with("seed-");
}

}  // namespace

TEST_CASE("[fuzz] every decoder harness replays its corpus without a crash", "[fuzz][slow]") {
    CHECK(fuzz_replay::replay("sip", fuzz_sip_input) > 10);
    CHECK(fuzz_replay::replay("tls", fuzz_tls_input) > 0);
    CHECK(fuzz_replay::replay("tls_decrypt", fuzz_tls_decrypt_input) > 0);
    CHECK(fuzz_replay::replay("tls_record", fuzz_tls_record_input) > 0);
    CHECK(fuzz_replay::replay("x509", fuzz_x509_input) > 0);
    CHECK(fuzz_replay::replay("keylog", fuzz_keylog_input) > 0);
    CHECK(fuzz_replay::replay("filter", fuzz_filter_input) > 0);
    CHECK(fuzz_replay::replay("hep", fuzz_hep_input) > 0);
    CHECK(fuzz_replay::replay("rsa_key", fuzz_rsa_key_input) >= 13);
}

TEST_CASE("[fuzz] the SIP seeds are real SIP payloads", "[fuzz]") {
    std::size_t seeds = 0, complete = 0;
    for (const auto& [name, input] : fuzz_replay::corpus("sip")) {
        if (!is_seed(name)) continue;
        ++seeds;
        complete += parse_sip_message(input, SipFraming::Datagram).status == ParseStatus::Complete;
    }
    REQUIRE(seeds > 10);
    CHECK(complete > seeds / 2);
}

TEST_CASE("[fuzz] the TLS seeds decode", "[fuzz]") {
    for (const auto& [name, input] : fuzz_replay::corpus("tls")) {
        if (!is_seed(name) || input.size() < 2) continue;
        const auto body = bytes(input).subspan(1);
        const std::size_t split = static_cast<unsigned char>(input[0]) * body.size() / 255;
        TlsSession session;
        std::vector<Payload> out;
        session.feed(Dir::ClientToServer, body.subspan(0, split), out);
        session.feed(Dir::ServerToClient, body.subspan(split), out);
        CHECK_FALSE(out.empty());
    }
}

TEST_CASE("[fuzz] the X.509 seeds are the project's real certificates", "[fuzz]") {
    std::size_t seeds = 0, parsed = 0;
    for (const auto& [name, input] : fuzz_replay::corpus("x509")) {
        if (!is_seed(name)) continue;
        ++seeds;
        std::string error;
        parsed += summarize_certificate(bytes(input), Side::Client, 0, &error).has_value();
    }
    REQUIRE(seeds >= 8);
    CHECK(parsed == seeds);
}

// The seeds are the Lync server's key in every form --rsa-key takes (make_rsa_key_seeds.sh):
// each must load with its password, be found by the server certificate and decrypt a premaster
// secret encrypted to it, so the fuzzer starts from the paths past the parser; the others
// (certificate only, EC, truncated) must be refused.
TEST_CASE("[fuzz] the RSA key seeds load, match lync01's certificate and decrypt", "[fuzz]") {
    const auto& fixed = fuzz_rsa_key::fixed();
    const std::vector<std::byte> premaster(fixed.premaster.begin(), fixed.premaster.end());
    std::size_t loaded = 0, refused = 0;
    for (const auto& [name, input] : fuzz_replay::corpus("rsa_key")) {
        if (!is_seed(name)) continue;
        INFO(name);
        RsaKeys keys;
        const auto problem = keys.add(bytes(input), name, name == "seed-nopassword.pfx" ? "" : fuzz_rsa_key::kPassword);
        const bool refuse = name == "seed-certonly.pfx" || name == "seed-ec.pem" || name.starts_with("seed-truncated");
        CHECK(problem.has_value() == refuse);
        if (problem) {
            ++refused;
            continue;
        }
        ++loaded;
        const auto index = keys.find(fixed.certificate);
        REQUIRE(index == std::optional<std::size_t>(0));
        CHECK(keys.decrypt_premaster(0, fixed.encrypted) == std::optional(premaster));
    }
    CHECK(loaded == 9);
    CHECK(refused == 4);
}
