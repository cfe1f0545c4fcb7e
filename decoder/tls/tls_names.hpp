// Names for TLS wire codes, as the event contract spells them: "TLS 1.2",
// "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "rsa_pss_rsae_sha256", "unknown_ca".
// Unknown codes come back as "0x1234" (alerts: "alert_123"), never as an error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace decoder::tls {

// "SSL 3.0", "TLS 1.0" .. "TLS 1.3", "TLS 1.3 (draft 28)", "GREASE", else "0x1234".
std::string version_name(std::uint16_t version);
// Orders versions for "highest offered": SSL 3.0 .. TLS 1.3 (drafts count as 1.3), else 0.
std::uint16_t version_rank(std::uint16_t version) noexcept;
// RFC 8701 GREASE values (0x0a0a, 0x1a1a, ..., 0xfafa).
bool is_grease(std::uint16_t code) noexcept;

std::string cipher_suite_name(std::uint16_t code);
std::string signature_scheme_name(std::uint16_t code);

std::string alert_description_name(std::uint8_t code);
// "warning", "fatal", or "unknown".
const char* alert_level_name(std::uint8_t level) noexcept;
// Level is warning/fatal and the description is a registered alert.
bool is_known_alert(std::uint8_t level, std::uint8_t description) noexcept;

// Alerts that only a handshake in progress sends (RFC 8446 section 6.2: certificate, CA,
// version and negotiation refusals): after one, the handshake did not complete.
bool is_handshake_refusal(std::string_view description) noexcept;

// "client_hello", "certificate", ...; nullptr for an unregistered handshake type.
const char* handshake_type_name(std::uint8_t type) noexcept;
// "change_cipher_spec", "alert", "handshake", "application_data", "heartbeat"; else nullptr.
const char* content_type_name(std::uint8_t type) noexcept;

}  // namespace decoder::tls
