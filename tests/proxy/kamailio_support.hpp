// Kamailio with its TLS module as the Lync stand-in: requires and verifies a client
// certificate against the test CA, answers OPTIONS with 200 OK when the certificate's subject
// CN is the expected FQDN and otherwise closes the connection without any answer (a bare
// TCP FIN, as Lync does with a wildcard CN). Runs on 127.0.0.1:<free port> from a config
// written into the test's directory; killed (process group) when the object goes away.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "peer_support.hpp"

namespace proxy_test {

struct KamailioSetup {
    std::string expected_cn = "um01.contoso.com";
    std::string ca_file;            // trusted for client certificates
    std::string cert, key;          // presented to clients
    std::string tls_method = "TLSv1.2+";  // Kamailio's tls `method`, e.g. TLSv1.2 for 1.2 only
    std::string cipher_list = "";         // its `cipher_list`; empty: OpenSSL's default
};

class Kamailio {
public:
    // Throws std::runtime_error (with Kamailio's log) if it is not listening within 10 s.
    Kamailio(const TempDir& dir, const KamailioSetup& setup);
    std::uint16_t port() const { return port_; }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

private:
    std::uint16_t port_;
    std::unique_ptr<Spawned> process_;
};

// Python ssl client (tests/proxy/sip_tls_client.py): one request, then a JSON line saying what
// came back and how the server ended the connection (fin, close_notify, rst, alert:<name>, open).
// `options`: more of its options, e.g. "--tls12 --reset".
nlohmann::json run_sip_client(const TempDir& dir, const std::string& address, const std::string& cert,
                              const std::string& request_file, const std::string& keylog = "",
                              const std::string& options = "");

}  // namespace proxy_test
