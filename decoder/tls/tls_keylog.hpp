// NSS key log (the SSLKEYLOGFILE format written by OpenSSL, Python's ssl, browsers): the
// secrets that let the decoder decrypt TLS 1.2 and TLS 1.3 sessions it sees on the wire.
//
//   CLIENT_RANDOM <client random hex> <TLS 1.2 master secret hex>
//   CLIENT_HANDSHAKE_TRAFFIC_SECRET / SERVER_HANDSHAKE_TRAFFIC_SECRET <client random> <secret>
//   CLIENT_TRAFFIC_SECRET_0 / SERVER_TRAFFIC_SECRET_0 <client random> <secret>
//
// EXPORTER_SECRET, EARLY_EXPORTER_SECRET, CLIENT_EARLY_TRAFFIC_SECRET, ECH_*, RSA (pre-master
// secrets; OpenSSL logs the master secret too) and other labels are counted and ignored;
// blank lines and `#` comments are skipped. A malformed line (wrong field count, bad hex,
// wrong length) is reported with its source and line number and loading goes on with the
// next line. Bounded: a source over kMaxKeyLogBytes or more than kMaxSessions sessions is
// cut there, with a message.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "decoder/tls/tls_rsa_keys.hpp"

namespace decoder {

inline constexpr std::size_t kMaxKeyLogBytes = 64u << 20;  // 64 MiB of text per source
inline constexpr std::size_t kMaxSessions = 1u << 20;
inline constexpr std::size_t kMaxKeyLogMessages = 20;  // malformed lines reported per source

using SecretBytes = std::vector<std::byte>;

// What the key log knows about one TLS session, found by its ClientHello.random.
struct SessionSecrets {
    SecretBytes master_secret;  // TLS <= 1.2 (48 bytes)
    SecretBytes client_handshake, server_handshake;  // TLS 1.3
    SecretBytes client_traffic_0, server_traffic_0;  // TLS 1.3
};

class KeyLog {
public:
    // Parses key log text from `source` (a file name, or "FILE (pcapng secrets block)").
    // Appends one line per malformed line to problems ("keys.log:7: ..."), at most
    // kMaxKeyLogMessages of them plus a count of the rest. Never throws on bad text.
    void add_text(std::string_view text, const std::string& source, std::vector<std::string>& problems);
    // Reads a file and adds it; false (with the reason in problems) when it cannot be read.
    bool add_file(const std::string& path, std::vector<std::string>& problems);

    // The secrets for a ClientHello.random, or null.
    const SessionSecrets* find(std::span<const std::byte> client_random) const;

    bool empty() const { return sessions_.empty() && rsa_.empty(); }
    std::size_t sessions() const { return sessions_.size(); }
    // "2 sessions (1 TLS 1.2 master secret, 1 TLS 1.3 with 4 traffic secrets), 1 line ignored"
    std::string summary() const;

    // Server RSA private keys (--rsa-key) for sessions with RSA key exchange.
    RsaKeys& rsa_keys() { return rsa_; }
    const RsaKeys& rsa_keys() const { return rsa_; }

    // Master secrets learnt while decoding (from a server key or the key log), by session id
    // and by session ticket, so a session resumed later in the capture (abbreviated
    // handshake: no key exchange to decrypt) is decrypted too. This cache is the only state
    // that changes while decoding; one decoding thread uses a KeyLog at a time.
    void remember_session(std::span<const std::byte> id, const SecretBytes& master) const;
    void remember_ticket(std::span<const std::byte> ticket, const SecretBytes& master) const;
    const SecretBytes* resumed_session(std::span<const std::byte> id) const;
    const SecretBytes* resumed_ticket(std::span<const std::byte> ticket) const;

private:
    std::unordered_map<std::string, SessionSecrets> sessions_;  // key: the 32 raw random bytes
    RsaKeys rsa_;
    mutable std::unordered_map<std::string, SecretBytes> by_session_id_, by_ticket_;
    std::size_t master_secrets_ = 0, tls13_secrets_ = 0, ignored_lines_ = 0;
};

}  // namespace decoder
