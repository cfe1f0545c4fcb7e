// The pcap and Network Monitor fuzz corpora (captures, pcapng with Decryption Secrets Blocks,
// .cap files converted by editcap, and what fuzzing found) through their fuzz harnesses in
// the normal build: see tests/fuzz_replay_support.hpp.
#include <catch2/catch.hpp>

#include "fuzz_replay_support.hpp"

SIPTAP_FUZZ_HARNESS(pcap);

TEST_CASE("[fuzz] the pcap corpus replays through its harness without a crash", "[fuzz]") {
    CHECK(fuzz_replay::replay("pcap", fuzz_pcap_input) > 10);
}

SIPTAP_FUZZ_HARNESS(netmon);

TEST_CASE("[fuzz] the Network Monitor corpus replays through its harness without a crash", "[fuzz]") {
    CHECK(fuzz_replay::replay("netmon", fuzz_netmon_input) >= 5);
}
