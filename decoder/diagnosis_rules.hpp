// Diagnosis rules: pure functions from events (and what is known of the connection) to
// findings. The Diagnoser decides when to call them and which events are the evidence.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "decoder/events.hpp"
#include "decoder/trust_store.hpp"

namespace decoder {

struct FindingDraft {
    Severity severity = Severity::Info;
    std::string code, message;
};

// Rules on one certificate at capture time `at`: wildcard-subject-cn (leaf), cert-expired,
// cert-not-yet-valid, self-signed (leaf).
std::vector<FindingDraft> check_certificate(const Certificate& cert, Micros at);

// Rules comparing a leaf's subject CN with the FQDN the other side expects (from
// --expect-peer or the side's own SIP headers, named by `source`): cn-not-peer-fqdn and
// san-ignored-by-lync. An empty `expected` checks only what needs no name (wildcard CN with
// concrete SANs).
std::vector<FindingDraft> check_leaf_name(const Certificate& leaf, std::string_view expected,
                                          std::string_view source);

// untrusted-issuer: the chain (leaf first) verified against `roots`, validity dates aside
// (those are check_certificate's). nullopt when it verifies.
std::optional<FindingDraft> check_chain_trust(const std::vector<Certificate>& chain, const TrustStore& roots);

// no-client-certificate: the client answered a CertificateRequest with an empty Certificate.
FindingDraft no_client_certificate(const Endpoint& client);

std::optional<FindingDraft> check_alert(const TlsAlert& alert, Side sender, const Endpoint& from);
std::optional<FindingDraft> check_sip_response(const SipMessage& message, const Endpoint& from);
std::optional<FindingDraft> check_ms_diagnostics(const SipMessage& message, const Endpoint& from);

// tls-version-mismatch or no-shared-cipher: the server refused `hello` before any ServerHello,
// with the alert `refusal` (protocol_version, handshake_failure) or by closing ("fin", "rst").
std::optional<FindingDraft> check_refused_hello(const TlsMessage& hello, std::string_view refusal,
                                                const Endpoint& client, const Endpoint& server);
// The highest version a ClientHello offers (supported_versions, else its version), or "".
std::string highest_offered_version(const TlsMessage& hello);

// closed-after-request, reset-by-peer, handshake-incomplete.
std::vector<FindingDraft> check_close(const ConnClose& close, Transport transport,
                                      const Endpoint& client, const Endpoint& server);

// Lync's name rule (subject CN must equal the FQDN, case-insensitive, trailing dot ignored).
bool lync_name_match(std::string_view cn, std::string_view fqdn);
// A TLS client's usual rule for one SAN DNS name: exact, or a left-most "*." label.
bool dns_name_match(std::string_view pattern, std::string_view fqdn);

}  // namespace decoder
