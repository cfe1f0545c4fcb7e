// The relay handshake fuzz corpus (ClientHellos and server flights, and what fuzzing found)
// through the fuzz harness in the normal build: see tests/fuzz_replay_support.hpp.
#include <catch2/catch.hpp>

#include "fuzz_replay_support.hpp"

SIPTAP_FUZZ_HARNESS(relay_hello);

TEST_CASE("[fuzz] the relay handshake corpus replays through its harness without a crash", "[fuzz]") {
    CHECK(fuzz_replay::replay("relay_hello", fuzz_relay_hello_input) > 0);
}
