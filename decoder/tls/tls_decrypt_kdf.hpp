// TLS key derivation through OpenSSL 3 EVP_KDF only: the TLS 1.2 PRF ("TLS1-PRF") and the
// TLS 1.3 HKDF-Expand-Label ("HKDF", expand-only mode). No hand-written primitives.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace decoder::tls {

using SecretView = std::span<const std::byte>;

// PRF(secret, label, seed) of RFC 5246 section 5 with `digest` ("SHA256", "SHA384"), `length`
// bytes; nullopt when OpenSSL refuses (its error queue is cleared).
std::optional<std::vector<std::byte>> tls12_prf(const char* digest, SecretView secret,
                                                std::string_view label, SecretView seed,
                                                std::size_t length) noexcept;

// HKDF-Expand-Label(secret, "tls13 " + label, context, length) of RFC 8446 section 7.1.
std::optional<std::vector<std::byte>> hkdf_expand_label(const char* digest, SecretView secret,
                                                        std::string_view label, SecretView context,
                                                        std::size_t length) noexcept;

}  // namespace decoder::tls
