// Real TLS bytes for decoder tests: a throwaway PKI generated at run time with OpenSSL, and
// in-process handshakes between an OpenSSL client and server over memory BIOs, recorded per
// flight. Nothing here touches the network or the disk.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "decoder/base/openssl_ptr.hpp"
#include "decoder/model/events.hpp"
#include "decoder/tls/tls_session.hpp"

namespace fixture {

using decoder::Dir;
using ByteVec = std::vector<std::byte>;

using decoder::OpenSslPtr;
using X509Ptr = OpenSslPtr<X509, X509_free>;
using PkeyPtr = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;

struct CertSpec {
    std::vector<std::pair<std::string, std::string>> subject;  // in DER order: {"C","US"}, ...
    int string_type = MBSTRING_UTF8;  // V_ASN1_PRINTABLESTRING / V_ASN1_UTF8STRING force a type
    bool rsa = false;                 // RSA-2048, else EC P-256
    bool ca = false;
    std::string san;                  // "DNS:a,IP:10.0.0.5" (empty: no SAN)
    long not_before = -3600;          // seconds from now
    long not_after = 365L * 24 * 3600;
    std::string serial_hex = "01";
};

struct Issued {
    X509Ptr cert;
    PkeyPtr key;
};

// Makes a certificate; self-signed when issuer is null. Throws std::runtime_error on failure.
Issued make_certificate(const CertSpec& spec, const Issued* issuer);
ByteVec der_of(const X509* cert);

// Generated once per run (RSA key generation is slow).
struct Pki {
    Issued ca;          // C=US,O=Contoso,CN=Contoso Test Root CA; EC P-256; PrintableString
    Issued lync;        // CN=lync01.contoso.com; RSA-2048; PrintableString; SAN DNS + IPv4 + IPv6
    Issued wildcard;    // CN=*.contoso.com (Exchange UM); EC P-256; UTF8String incl. non-ASCII OU
    Issued expired;     // CN=expired.contoso.com; expired a year ago
};
const Pki& pki();

struct Chunk {
    Dir dir;
    ByteVec bytes;
};

// A plaintext record as OpenSSL's message callback reports it (what a decrypting relay sees).
struct PlainMessage {
    Dir dir;
    int content_type;  // 20, 21, 22
    ByteVec bytes;     // the message without record header
};

struct HandshakeOptions {
    int version = TLS1_2_VERSION;
    bool client_cert = true;      // client presents the wildcard leaf + CA
    bool server_rejects = false;  // server's verify callback fails (unknown_ca)
    std::string request;          // client writes this after the handshake (if it completed)
    bool server_renegotiates = false;  // TLS 1.2: after the request, the server renegotiates
    std::string response;         // server answers with this
    bool client_shutdown = false; // client sends close_notify at the end
};

struct Transcript {
    std::vector<Chunk> chunks;        // wire bytes, one chunk per flight, in order
    std::vector<PlainMessage> plain;  // what each side sent, before encryption
    bool client_done = false, server_done = false;

    std::size_t total_bytes() const;
};

Transcript run_handshake(const HandshakeOptions& options);

// What TlsSession produced, each payload with the direction it was fed on.
struct Decoded {
    std::vector<std::pair<Dir, decoder::Payload>> payloads;
    bool complete = false;
    std::uint64_t client_records = 0, server_records = 0;

    std::vector<std::string> lines() const;          // describe() of every payload, in order
    std::vector<std::string> kinds(Dir dir) const;   // short kinds of one direction's payloads
    std::vector<decoder::Notice> notices() const;
    template <class T> std::vector<T> all(Dir dir) const {
        std::vector<T> out;
        for (const auto& [d, p] : payloads)
            if (const T* t = std::get_if<T>(&p); t && d == dir) out.push_back(*t);
        return out;
    }
};

enum class FeedMode { AtOnce, PerByte };
Decoded decode(const std::vector<Chunk>& chunks, FeedMode mode);
// Every chunk whole, except that the stream is cut at `offset` (counted over all chunks).
Decoded decode_split(const std::vector<Chunk>& chunks, std::size_t offset);

// Plaintext messages wrapped into records (version 0x0303), as a relay would feed them.
std::vector<Chunk> as_records(const std::vector<PlainMessage>& plain);
ByteVec record(int content_type, const ByteVec& fragment, int version = 0x0303);
ByteVec handshake_message(int type, const ByteVec& body);

// One line per payload with every field: identical lines == identical payloads.
std::string describe(const decoder::Payload& payload);
// "client_hello", "cert:*.contoso.com", "alert:fatal/unknown_ca", "notice".
std::string kind(const decoder::Payload& payload);

ByteVec bytes_of(const std::string& text);
ByteVec raw(std::initializer_list<int> values);
ByteVec cat(std::initializer_list<ByteVec> parts);
ByteVec u16_vec(const ByteVec& body);  // 16-bit length + body
ByteVec u24_vec(const ByteVec& body);  // 24-bit length + body
ByteVec hs_record(int type, const ByteVec& body);  // one handshake message in one record
// ServerHello record: zero (or the HelloRetryRequest) random, no session id, no compression.
ByteVec server_hello_record(int version, int cipher, const ByteVec& extensions, bool retry = false);
// "AB:CD:..." as OpenSSL computes it (X509_digest).
std::string sha256_fingerprint(const X509* cert);

}  // namespace fixture
