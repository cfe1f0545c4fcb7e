// Decoders for the bodies of plaintext TLS handshake messages (SSL 3.0 .. TLS 1.3): each
// checks every length against the body and returns Error with the field that does not fit.
// Results copy names out (they become event fields); certificate lists are views.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "decoder/model/events.hpp"
#include "decoder/tls/tls_records.hpp"

namespace decoder::tls {

// type client_hello; version = highest of legacy_version and supported_versions; sni, alpn
// (comma-joined), supported_versions, signature_algorithms, ciphers (GREASE values left out).
ParseResult<TlsMessage> decode_client_hello(Bytes body) noexcept;

// What decryption and resumption need from a ClientHello: its random, the session id and the
// session ticket (RFC 5077) it offers; views into the body. Nothing when malformed.
struct ClientHelloKeys {
    Bytes random, session_id, ticket;
};
std::optional<ClientHelloKeys> client_hello_keys(Bytes body) noexcept;

struct ServerHello {
    TlsMessage message;            // server_hello or hello_retry_request; version, cipher, alpn
    std::uint16_t version = 0;     // negotiated: supported_versions extension, else legacy
    bool hello_retry = false;      // TLS 1.3 HelloRetryRequest (special random)
    Bytes random;                  // view into the body (for decryption with a key log)
    Bytes session_id;              // view into the body; equal to the ClientHello's: resumed
    std::uint16_t cipher_code = 0;
    bool encrypt_then_mac = false;        // RFC 7366 extension echoed
    bool extended_master_secret = false;  // RFC 7627 extension echoed
};
ParseResult<ServerHello> decode_server_hello(Bytes body) noexcept;

// TLS 1.3 form (context + extensions) or the older form (types, TLS 1.2 signature
// algorithms, CA names); fills signature_algorithms and ca_names.
ParseResult<TlsMessage> decode_certificate_request(Bytes body, std::uint16_t version) noexcept;

// The DER of each certificate, leaf first (TLS 1.3 entries carry extensions, skipped here).
ParseResult<std::vector<Bytes>> decode_certificate_list(Bytes body, std::uint16_t version) noexcept;

// TLS 1.2+: the signature scheme used (one entry in signature_algorithms).
ParseResult<TlsMessage> decode_certificate_verify(Bytes body, std::uint16_t version) noexcept;

}  // namespace decoder::tls
