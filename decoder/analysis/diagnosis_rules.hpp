// Diagnosis rules: pure functions from events (and what is known of the connection) to
// findings. The Diagnoser decides when to call them and which events are the evidence.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "decoder/model/events.hpp"
#include "decoder/tls/trust_store.hpp"

namespace decoder {

// "10.0.0.2:5061 (server)": an endpoint and its side, as the findings' messages name them.
std::string named(const Endpoint& e, Side side);

struct FindingDraft {
    Severity severity = Severity::Info;
    std::string code, message;
    std::optional<RedirectLink> redirect = std::nullopt;
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

// How a server refused a ClientHello before any ServerHello: with a fatal alert, or by closing.
struct HelloRefusal {
    std::optional<AlertDescription> alert = std::nullopt;  // protocol_version, handshake_failure, ...
    std::optional<CloseHow> close = std::nullopt;          // Fin or Rst
};

// tls-version-mismatch or no-shared-cipher: the server refused `hello` before any ServerHello,
// with the alert protocol_version or handshake_failure, or by closing (FIN or RST).
std::optional<FindingDraft> check_refused_hello(const TlsMessage& hello, const HelloRefusal& refusal,
                                                const Endpoint& client, const Endpoint& server);
// The highest version a ClientHello offers (supported_versions, else its version), or "".
std::string highest_offered_version(const TlsMessage& hello);

// Certificate rules for Windows peers (certificate_rules.cpp). `owner` presented the
// certificate, `peer` is the other side.
// weak-signature: SHA-1, MD5 or RSASSA-PSS on a certificate that is not self-signed; an error
// when the peer then refused it with the fatal alert `refusal` (empty: it did not).
std::optional<FindingDraft> check_weak_signature(const Certificate& c, const Endpoint& owner,
                                                 const Endpoint& peer, std::string_view refusal);
// weak-key: an RSA key under 2048 bits.
std::optional<FindingDraft> check_weak_key(const Certificate& c, const Endpoint& owner);
// no-client-auth-eku: a client's leaf whose EKU extension exists without Client Authentication
// (the caller checks that the server asked for it: mutual TLS).
std::optional<FindingDraft> check_client_auth_eku(const Certificate& leaf, const Endpoint& client,
                                                  const Endpoint& server);
// Whether a certificate of the chain was issued by (or is) a CA the list names.
bool chain_issuer_listed(const std::vector<Certificate>& chain, const std::vector<std::string>& ca_names);
// The position in the list of the first name that answers the chain, or nullopt.
std::optional<std::size_t> listed_issuer_position(const std::vector<Certificate>& chain,
                                                  const std::vector<std::string>& ca_names);
// issuer-not-in-ca-list: the client's chain answers none of the CertificateRequest's CA names.
std::optional<FindingDraft> check_issuer_in_ca_list(const std::vector<Certificate>& chain,
                                                    const TlsMessage& request, const Endpoint& client,
                                                    const Endpoint& server);
// How the client answered a CertificateRequest: not seen (TLS 1.3 without keys, or no answer),
// an empty Certificate, or a chain with or without an issuer from the list.
enum class CaListAnswer { Unknown, NoCertificate, IssuerListed, IssuerNotListed };
// ca-list-too-long: the CA names take more than kSchannelCaListLimit bytes; an error when the
// client then sent no certificate or one whose issuer is not listed. `issuer_position` (the
// listed name that answers the client's chain) says whether that name lies past Schannel's cut.
std::optional<FindingDraft> check_ca_list_size(const TlsMessage& request, CaListAnswer answer,
                                               const Endpoint& client, const Endpoint& server,
                                               std::optional<std::size_t> issuer_position = std::nullopt);

// closed-after-request, reset-by-peer, handshake-incomplete.
std::vector<FindingDraft> check_close(const ConnClose& close, Transport transport,
                                      const Endpoint& client, const Endpoint& server);

// Lync's name rule (subject CN must equal the FQDN, case-insensitive, trailing dot ignored).
bool lync_name_match(std::string_view cn, std::string_view fqdn);
// A TLS client's usual rule for one SAN DNS name: exact, or a left-most "*." label.
bool dns_name_match(std::string_view pattern, std::string_view fqdn);

}  // namespace decoder
