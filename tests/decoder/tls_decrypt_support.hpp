// Real TLS sessions with their NSS key log, made in-process by OpenSSL over memory BIOs: the
// wire bytes per flight, the key log lines OpenSSL wrote, and the plaintext each side sent.
// The server uses the committed throwaway PKI in pcaps/tls-pki (RSA, so the RSA key
// exchange suites work too).
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "decoder/model/events.hpp"

namespace decrypt_fixture {

using decoder::Dir;
using ByteVec = std::vector<std::byte>;

struct Chunk {
    Dir dir;
    ByteVec bytes;
};

struct SessionOptions {
    int version = 0x0304;      // TLS1_2_VERSION or TLS1_3_VERSION
    std::string cipher;        // TLS 1.2 cipher list ("ECDHE-RSA-AES128-GCM-SHA256"), TLS 1.3 suite name
    bool encrypt_then_mac = true;   // offered by the client (CBC only)
    bool extended_master_secret = true;
    std::vector<std::pair<Dir, std::string>> writes;  // application data, in order
    int key_update_before = -1;    // TLS 1.3: client KeyUpdate (update_requested) before writes[i]
    bool client_close_notify = true;
};

struct Session {
    std::vector<Chunk> wire;        // what crossed the wire, in order
    std::string keylog;             // NSS key log lines (the client's)
    std::array<std::string, 2> sent;  // plaintext per direction (0: client->server)
    bool handshake_done = false;
    std::size_t wire_bytes() const;
};

// Throws std::runtime_error when OpenSSL cannot set the session up.
Session run_session(const SessionOptions& options);

}  // namespace decrypt_fixture
