// Everything `siptap proxy` is told on the command line, as plain data the relay reads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace proxy {

struct HostPort {
    std::string host;  // name or address; IPv6 without brackets
    std::uint16_t port = 0;
};

// Whether port 0 is allowed: for a listening address it means "any free port" (the start-up
// line then names the port the kernel gave); an upstream needs a real port.
enum class PortZero { Refused, AnyFreePort };

// "10.0.0.1:5061", "[::1]:5061", "lync01.contoso.com:5061". Throws std::invalid_argument
// naming the text when it has no port or the port is out of range.
HostPort parse_host_port(const std::string& text, PortZero zero = PortZero::Refused);

// A certificate and its key, from PEM files or a PKCS#12 bundle.
struct IdentityFiles {
    std::string cert, key;  // PEM; key may be empty when cert also holds the key
    std::string p12;        // PKCS#12; password from the environment (SIPTAP_P12_PASSWORD)
    bool empty() const { return cert.empty() && p12.empty(); }
};

struct RelayConfig {
    HostPort listen, upstream;
    bool plain = false;             // plain TCP on both legs (SIP over TCP 5060)
    IdentityFiles client_facing;    // presented to the connecting client (UM)
    IdentityFiles upstream_facing;  // presented to the upstream (Lync) as our client certificate
    IdentityFiles forge_ca;         // --forge-ca/--forge-ca-key: forge both legs' certificates
    std::string trust_file;         // --trust: roots a forged original must chain to (default: system)
    HostPort crl_listen;            // --crl-listen: serve the forge CAs' CRLs here (host empty: off)
    std::string keylog_file;        // NSS key log of both legs, mode 0600
    std::string pcap_file;          // pcapng of the decrypted traffic
    std::string capture_file;       // pcapng of the wire bytes with both legs' TLS secrets
    std::string run_as_user;        // --user: account to switch to once bound and files are open
    std::chrono::milliseconds handshake_timeout{10'000};
    std::chrono::milliseconds idle_timeout{600'000};
    std::chrono::milliseconds drain_timeout{5'000};
    std::size_t max_connections = 256;
    unsigned threads = 2;
    // Longest an I/O thread polls after traffic before it sleeps (see proxy/busy_poll.hpp).
    std::chrono::microseconds busy_poll{500};
};

}  // namespace proxy
