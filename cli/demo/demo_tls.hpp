// `siptap demo` building blocks: a throwaway PKI (Contoso and Fabrikam roots, Lync and UM
// certificates) written to a private temp dir, a Lync-like mutual-TLS endpoint that applies
// Lync's peer rule (subject CN must equal the expected FQDN), and an Exchange-UM-like client
// that sends a UCMA-style OPTIONS. Plain OpenSSL 3 and POSIX sockets on 127.0.0.1; every wait
// is bounded.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace cli::demo {

inline constexpr const char* kUmFqdn = "um01.contoso.com";
inline constexpr const char* kLyncFqdn = "lync01.contoso.com";

// PEM files in a mode-0700 temp dir, removed by the destructor.
class Pki {
public:
    // um_cert: good, wildcard, san-only, expired, untrusted. Throws std::runtime_error.
    explicit Pki(const std::string& um_cert);
    ~Pki();
    Pki(const Pki&) = delete;
    Pki& operator=(const Pki&) = delete;

    std::string dir;
    std::string ca_cert, ca_key;      // Contoso Root CA
    std::string lync_chain, lync_key;  // leaf + root
    std::string um_chain, um_key;      // leaf + its root
};

// Lync stand-in: accepts one connection on 127.0.0.1 (ephemeral port) on its own thread.
class LyncEndpoint {
public:
    explicit LyncEndpoint(const Pki& pki);  // binds and listens; throws on failure
    ~LyncEndpoint();                        // joins the thread
    std::uint16_t port() const { return port_; }
    void start();
    void join();

private:
    void serve();
    const Pki& pki_;
    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

struct UmResult {
    bool connected = false, handshake = false, sent = false;
    std::string response_line;  // first line of the response, empty if none
    std::string outcome;        // one line: what UM saw
};

// Exchange UM stand-in: connects to 127.0.0.1:port, mutual TLS, sends OPTIONS, waits up to
// `wait_ms` for a response or the close.
UmResult run_um_client(const Pki& pki, std::uint16_t port, int wait_ms = 3000);

}  // namespace cli::demo
