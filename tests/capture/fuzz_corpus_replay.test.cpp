// The pcap fuzz corpus (captures, pcapng with Decryption Secrets Blocks, and what fuzzing
// found) through the fuzz harness in the normal build: see tests/fuzz_replay_support.hpp.
#include <catch2/catch.hpp>

#include "fuzz_replay_support.hpp"

SIPTAP_FUZZ_HARNESS(pcap);

TEST_CASE("[fuzz] the pcap corpus replays through its harness without a crash", "[fuzz]") {
    CHECK(fuzz_replay::replay("pcap", fuzz_pcap_input) > 10);
}
