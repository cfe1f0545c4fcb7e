// Arbitrary bytes as an NSS key log: the parser must never crash, and a session it loads
// must be found again by its client random.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "decoder/tls/tls_keylog.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    decoder::KeyLog keys;
    std::vector<std::string> problems;
    keys.add_text({reinterpret_cast<const char*>(data), size}, "fuzz.keys", problems);
    (void)keys.summary();
    std::byte random[32]{};
    if (size >= 32) std::copy_n(reinterpret_cast<const std::byte*>(data), 32, random);
    (void)keys.find(random);
    return 0;
}
