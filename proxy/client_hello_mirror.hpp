// The relay's legs negotiate what the peers would have negotiated with each other (the fidelity
// rule in SPEC.md). The client's ClientHello is read first, in the client-facing leg's
// ClientHello callback, which holds that handshake; the upstream leg then offers the same SNI
// (or none), versions, cipher suites in the client's order, signature algorithms, groups and
// ALPN. Once the upstream has answered, the client leg is told to choose the upstream's
// version, cipher, group and signature algorithm, and to ask for a client certificate only if
// the upstream asked, naming the upstream's CAs. What OpenSSL cannot offer is listed for a
// notice (never silently dropped).
#pragma once

#include <openssl/ssl.h>
#include <span>
#include <string>
#include <vector>

namespace proxy {

struct MirroredHello {
    std::string sni;                 // empty: the client sent none
    int min_version = TLS1_VERSION;  // OpenSSL's version numbers (TLS1_2_VERSION, ...)
    int max_version = TLS1_2_VERSION;
    std::vector<std::string> ciphers;  // OpenSSL names in the client's order (TLS 1.3 ones too)
    std::vector<std::string> sigalgs;  // OpenSSL's names; empty when the client sent none
    std::vector<std::string> groups;   // likewise
    std::vector<unsigned char> alpn;   // the extension's protocol list, as on the wire
    bool fallback_scsv = false;        // TLS_FALLBACK_SCSV: the client retries with a lower version
    std::vector<std::string> not_mirrored;  // what OpenSSL cannot offer, for a notice
};

// Inside the ClientHello callback of the client-facing leg (never throws).
MirroredHello read_client_hello(SSL* client) noexcept;

// One field of the client's ClientHello that the upstream leg is offered as the client sent it.
// offer_like() applies every row of mirrored_hello_fields() and --explain-mirroring prints
// every row: one table, so what the relay does and what it says it does cannot drift apart.
struct MirroredField {
    const char* name;  // e.g. "SNI"
    const char* how;   // what the upstream is offered, as a phrase
    void (*offer)(SSL* upstream, const MirroredHello& hello, std::vector<std::string>& notes);
};
std::span<const MirroredField> mirrored_hello_fields();

// Before the upstream leg's handshake: offer what the client offered. Returns the notice
// texts for what could not be offered (empty when everything was).
std::vector<std::string> offer_like(SSL* upstream, const MirroredHello& hello);

// While the client leg waits in its ClientHello callback and the upstream has sent its
// ServerHello (and CertificateRequest, if any): choose what the upstream chose. `same_key_type`:
// the client leg presents a forgery of the upstream's certificate, so the upstream's cipher and
// signature algorithm fit it (with a given certificate only the version is mirrored).
void answer_like(SSL* client, SSL* upstream, bool upstream_asked_certificate, bool same_key_type);

}  // namespace proxy
