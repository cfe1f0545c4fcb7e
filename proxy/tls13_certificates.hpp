// In TLS 1.3 certificates travel encrypted, so the decoder cannot read them off the wire.
// After the handshake the relay tells each leg's decoder which chains were presented: the
// peer's (from OpenSSL) and siptap's own.
#pragma once

#include <openssl/ssl.h>
#include <vector>

#include "proxy/leg_recorder.hpp"

namespace proxy {

// No-op unless the leg negotiated TLS 1.3. `peer_dir` is the direction of the peer's bytes.
// Certificates in the order given (leaf first) as sent in direction `dir`.
void record_chain(const std::vector<X509*>& chain, LegRecorder& leg, decoder::Dir dir) noexcept;

void record_tls13_certificates(SSL* ssl, LegRecorder& leg, decoder::Dir peer_dir) noexcept;

}  // namespace proxy
