// What one TLS leg saw while its handshake ran, held back until the handshake has ended.
//
// OpenSSL logs a secret only after it has processed the bytes that let it derive it: a TLS
// 1.2 server logs the master secret after reading ClientKeyExchange, which arrives in the
// same segment as the encrypted Finished; a TLS 1.3 client logs the handshake secrets after
// reading the ServerHello, which arrives with the encrypted rest of the server's flight. The
// leg's decoder (which looks its session up in the key log at the ServerHello) and a
// single-pass reader of the --capture file (which needs the Decryption Secrets Block before
// the records it decrypts) both need the secrets first, so the leg's input waits here, with
// its capture times, and is replayed once the handshake has ended, either way. Bounded.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "decoder/model/events.hpp"

namespace proxy {

struct HeldInput {
    enum class Kind { Data, Fin, Rst, Payload };
    Kind kind;
    decoder::Dir dir;
    decoder::Micros ts;
    std::vector<std::byte> bytes;            // Data
    std::optional<decoder::Payload> payload;  // Payload
};

class HandshakeHold {
public:
    explicit HandshakeHold(bool active) : active_(active) {}

    bool active() const { return active_; }
    // False once the held bytes pass the bound: the caller should release now.
    bool add(HeldInput input);
    // Everything held, in arrival order; holding ends.
    std::vector<HeldInput> release();

private:
    bool active_;
    std::vector<HeldInput> held_;
    std::size_t bytes_ = 0;
};

}  // namespace proxy
