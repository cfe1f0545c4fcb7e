// --crl-listen: an empty CRL (nothing revoked) signed by a CA of the forge, so that a peer that
// checks revocation of a forged certificate (Lync does, for server-to-server certificates)
// finds a CRL its issuer signed, as it would for the original. Version 2 with the CA's
// authority key identifier and a CRL number; thisUpdate an hour back (clocks of Windows
// servers drift), nextUpdate a day ahead. It is made again once the current one is an hour
// old, so a fetched CRL is never near its nextUpdate. Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "proxy/tls_identity.hpp"

namespace proxy {

inline constexpr std::chrono::hours kCrlBackdate{1};
inline constexpr std::chrono::hours kCrlValidity{24};  // from now to nextUpdate
inline constexpr std::chrono::hours kCrlRefresh{1};   // age at which a new one is made

class EmptyCrl {
public:
    // `ca` must outlive this. Throws std::runtime_error when the CA's key usage leaves out
    // cRLSign (no verifier would accept a CRL it signed).
    explicit EmptyCrl(const Identity& ca);

    // The DER of a CRL current at `now`. Throws std::runtime_error when OpenSSL cannot sign.
    std::string der(std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

private:
    const Identity& ca_;
    std::mutex mutex_;
    std::string der_;
    std::chrono::system_clock::time_point made_{};
};

}  // namespace proxy
