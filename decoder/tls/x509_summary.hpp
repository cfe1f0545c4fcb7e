// What the certificate event says about one X.509 certificate, read with OpenSSL (libcrypto).
// Names are one line in RFC 2253 order (most specific first) with UTF-8 kept as is:
// "CN=*.contoso.com,O=Contoso,C=US". PrintableString and UTF8String attributes read alike.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "decoder/model/events.hpp"

namespace decoder {

// Summarizes one DER certificate as presented by `side` at position `index` of its chain
// (0 = leaf): subject, subject_cn (last CN), issuer, SAN DNS names and IP addresses, validity
// (Micros), serial (uppercase hex), sha256 of the DER ("AB:CD:..."), key ("RSA-2048",
// "EC-P-256", "Ed25519"), self_signed (issuer == subject and its own key verifies the
// signature), wildcard_cn, signature_algorithm (OpenSSL's long name), eku (when the extension
// exists), and the DER itself. A certificate that does not parse (or has
// trailing bytes, or a broken subjectAltName) gives nullopt and, when `error` is set, why.
// Leaves the calling thread's OpenSSL error queue empty.
std::optional<Certificate> summarize_certificate(std::span<const std::byte> der, Side side,
                                                 int index, std::string* error) noexcept;

// One-line text of a DER-encoded X.509 Name (a CertificateRequest's CA names), in the same
// format as Certificate::subject; nullopt when it does not parse.
std::optional<std::string> distinguished_name_text(std::span<const std::byte> der) noexcept;

}  // namespace decoder
