// Arbitrary bytes as both directions of a TLS connection: the first byte chooses where the
// client's part ends; the record layer and handshake decoder must never crash.
#include <cstddef>
#include <cstdint>

#include "decoder/tls/tls_session.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const auto* bytes = reinterpret_cast<const std::byte*>(data + 1);
    size -= 1;
    const std::size_t split = data[0] * size / 255;
    decoder::TlsSession session;
    std::vector<decoder::Payload> out;
    (void)decoder::looks_like_tls({bytes, size});
    // Interleave small pieces of both directions, as a capture would.
    std::size_t c = 0, s = split;
    while (c < split || s < size) {
        const std::size_t step = 1 + (c + s) % 97;
        if (c < split) {
            const auto n = std::min(step, split - c);
            session.feed(decoder::Dir::ClientToServer, {bytes + c, n}, out);
            c += n;
        }
        if (s < size) {
            const auto n = std::min(step, size - s);
            session.feed(decoder::Dir::ServerToClient, {bytes + s, n}, out);
            s += n;
        }
    }
    (void)session.handshake_complete();
    return 0;
}
