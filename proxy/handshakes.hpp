// Both legs' TLS handshakes, ordered so that the client sees what it would have seen without
// siptap, and the mirroring of a failed handshake onto the other leg. A TLS 1.2 resumption
// is mirrored too (resumption_mirror.hpp): the upstream is offered the matching session, and
// the client's is resumed only if the upstream's was.
//
// Given certificates: the upstream is asked first; if it refuses (alert) the client's
// ClientHello is refused with the same alert; if it hangs up, so does siptap. A TLS 1.3
// upstream judges our certificate after its handshake: siptap waits for its verdict (see
// below) and refuses the client's certificate with the upstream's alert.
//
// Forged certificates (--forge-ca; forged_handshakes.cpp, one named step each): the
// upstream's handshake runs until it asks for our client certificate; the upstream's
// certificate is then known and its forgery is presented to the client (mode c). The client's handshake runs until its certificate arrives; inside OpenSSL's
// verify callback, holding the client's handshake, siptap waits while the upstream's handshake
// is finished with the forgery of the client's certificate (the callback runs on a
// VerdictPool thread, see verdict_pool.hpp; the upstream's handshake on the I/O threads, so
// no I/O thread waits, and the wait is bounded by the handshake deadline). With TLS 1.3 the
// upstream judges our certificate after its handshake has completed, so siptap waits up to
// kVerdictWait for an alert before accepting (less when a NewSessionTicket says it accepted).
// An upstream alert fails the client's handshake with the same alert; a hang-up is mirrored as
// the same transport close.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

#include "proxy/pump.hpp"

namespace proxy {

class CertForge;
class ResumptionMirror;
class VerdictPool;

inline constexpr std::chrono::milliseconds kVerdictWait{300};

struct HandshakeOutcome {
    bool established = false;  // both legs up: start the pumps
    std::string upstream_early;  // application data the upstream sent while we waited for its verdict
    bool client_certs_recorded = false, upstream_certs_recorded = false;  // TLS 1.3 chains already reported
};

boost::asio::awaitable<HandshakeOutcome> given_handshakes(TlsLeg& client, TlsLeg& upstream,
                                                          TlsLegHooks& client_hooks, TlsLegHooks& upstream_hooks,
                                                          ResumptionMirror& resumption);

boost::asio::awaitable<HandshakeOutcome> forged_handshakes(TlsLeg& client, TlsLeg& upstream,
                                                           TlsLegHooks& client_hooks, TlsLegHooks& upstream_hooks,
                                                           ResumptionMirror& resumption, CertForge& forge, VerdictPool& verdicts,
                                                           std::chrono::steady_clock::time_point deadline);

// The X509 verification error that makes OpenSSL send `alert` (handshake_failure if none).
int x509_error_for_alert(std::uint8_t alert);

}  // namespace proxy
