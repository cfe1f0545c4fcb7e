// Steps both handshake modes take (given_handshakes and forged_handshakes, see handshakes.hpp),
// defined in handshakes.cpp. Internal to those two files.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <string>

#include "decoder/model/events.hpp"
#include "proxy/pump.hpp"

namespace proxy {

class ResumptionMirror;

namespace handshake_steps {

// A relay notice on `leg`'s recorder.
void notice(TlsLeg& leg, decoder::Dir dir, std::string text, const char* what = "relay-error");

// A handshake that failed neither by the peer's alert nor by its hang-up, nor as the mirror of
// the other peer's refusal (`mirrored`), failed in the relay itself: say so with OpenSSL's reason.
void report_relay_side(TlsLeg& leg, const TlsLegHooks& hooks, const boost::system::error_code& ec, const char* leg_name,
                       bool mirrored = false);

// One side's handshake failed: close the other side's transport the same way, both ways.
boost::asio::awaitable<void> mirror_failure(TlsLeg& client, TlsLeg& upstream, bool upstream_failed);

// The upstream refused before the client's handshake began: refuse the ClientHello with the
// upstream's alert, or mirror its hang-up.
boost::asio::awaitable<void> refuse_client(TlsLeg& client, TlsLeg& upstream, TlsLegHooks& client_hooks,
                                           const TlsLegHooks& upstream_hooks);

// After a TLS 1.3 handshake the upstream may still refuse our certificate: wait briefly for
// its first record (see TlsLeg::await_verdict).
std::chrono::steady_clock::time_point verdict_deadline(std::chrono::steady_clock::time_point deadline);

// Reads the client's ClientHello and holds its handshake there; the upstream leg is set to
// offer the same (see client_hello_mirror.hpp). False when the client's leg ended first; its
// end is then mirrored onto the upstream.
boost::asio::awaitable<bool> read_client_hello_first(TlsLeg& client, TlsLeg& upstream, TlsLegHooks& client_hooks,
                                                      ResumptionMirror& resumption);

// The upstream has answered the ClientHello: resume the client's session only if the
// upstream resumed (see resumption_mirror.hpp).
void answer_resumption(ResumptionMirror& resumption, TlsLeg& client, TlsLeg& upstream, TlsLegHooks& client_hooks,
                       const TlsLegHooks& upstream_hooks);

}  // namespace handshake_steps
}  // namespace proxy
