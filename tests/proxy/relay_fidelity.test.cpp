// The relay's fidelity rule (SPEC.md) with the peers siptap exists for: Schannel-like servers
// and clients (Python ssl at security level 0, TLS 1.0/1.1, RSA key exchange, SHA-1 and RSA-1024
// certificates). Each pair runs directly and through `siptap proxy --forge-ca`, and both peers
// must see the same: handshake outcome or alert, version, cipher, the certificate's signature
// algorithm, key size and EKU, OPTIONS answered or not; the server must receive the client's
// SNI, versions and cipher suites.
#include <catch2/catch.hpp>

#include "fidelity_support.hpp"

using namespace proxy_test;

namespace {

// What a peer can tell about its side of the handshake and the SIP exchange.
nlohmann::json seen(const nlohmann::json& line, bool server) {
    nlohmann::json v;
    for (const char* k : {"outcome", "version", "cipher", "answered", "request", "reused"})
        if (line.contains(k)) v[k] = line[k];
    if (line.contains("peer") && !line["peer"].is_null()) v["peer"] = line["peer"];
    if (server && line.contains("hello") && !line["hello"].is_null()) v["hello"] = line["hello"];
    return v;
}

struct Row {
    const char* name;
    std::string server, client;  // legacy_peers.py options
    const char* direct_outcome;  // what the client sees directly: the row means what it says
    int connections = 1;
};

}  // namespace

TEST_CASE("[proxy] fidelity: Schannel-like pairs see through siptap what they see directly", "[proxy][fidelity][slow]") {
    const std::string legacy = " --ciphers AES128-SHA:@SECLEVEL=0";
    const std::string level0 = " --ciphers DEFAULT:@SECLEVEL=0";
    const std::string sni = " --sni lync01.contoso.com";
    const auto row = GENERATE_COPY(values<Row>({
        {"TLS 1.0 only, RSA key exchange AES128-SHA, SHA-1 server certificate",
         cert_opts("srvsha1") + legacy + " --min 1.0 --max 1.0", cert_opts("cli") + legacy + " --max 1.1" + sni, "ok"},
        {"TLS 1.1 only, RSA key exchange AES128-SHA", cert_opts("srvsha1") + legacy + " --min 1.1 --max 1.1",
         cert_opts("clisha1") + legacy + " --max 1.1" + sni, "ok"},
        {"RSA-1024 certificates on both sides", cert_opts("srv1024") + level0 + " --max 1.2",
         cert_opts("cli1024") + level0 + sni, "ok"},
        {"RSA-1024 client certificate only", cert_opts("srv") + level0, cert_opts("cli1024") + level0, "ok"},
        {"SHA-1 client certificate, server refusing SHA-1", cert_opts("srv"), cert_opts("clisha1") + level0 + " --max 1.2" + sni,
         "alert:bad_certificate"},
        {"client without the Client Authentication EKU", cert_opts("srv") + " --max 1.2", cert_opts("clinoauth") + level0,
         "alert:unsupported_certificate"},
        {"client at most TLS 1.0, server requires TLS 1.2", cert_opts("srv") + " --min 1.2",
         cert_opts("cli") + legacy + " --max 1.0" + sni, "alert:protocol_version"},
        {"TLS 1.2 session ticket resumption", cert_opts("srv") + " --max 1.2", cert_opts("cli") + " --resume" + sni,
         "ok", 2},
        {"TLS 1.2 session id resumption (Schannel: no tickets)", cert_opts("srv") + " --max 1.2 --no-ticket",
         cert_opts("cli") + " --resume" + sni, "ok", 2},
        {"modern peers keep modern settings", cert_opts("srv"), cert_opts("cli") + sni, "ok"},
    }));
    CAPTURE(row.name);
    const PairRun direct = run_pair(row.server, row.client, row.connections, std::nullopt);
    const PairRun relayed = run_pair(row.server, row.client, row.connections, "--trust " + legacy_pki() / "root.pem");
    REQUIRE(direct.client.size() == static_cast<std::size_t>(row.connections));
    REQUIRE(relayed.client.size() == direct.client.size());
    INFO("directly: " + direct.client[0].dump());
    CHECK(direct.client[0]["outcome"] == row.direct_outcome);
    for (std::size_t i = 0; i < direct.client.size(); ++i) {
        CAPTURE(i);
        nlohmann::json d = seen(direct.client[i], false), r = seen(relayed.client[i], false);
        CHECK(r.dump() == d.dump());
    }
    REQUIRE(relayed.server.size() == direct.server.size());
    for (std::size_t i = 0; i < direct.server.size(); ++i) {
        CAPTURE(i);
        CHECK(seen(relayed.server[i], true).dump() == seen(direct.server[i], true).dump());
    }
    CHECK(nlohmann::json(notices(relayed.events, "relay-error")).dump() == "[]");
    CHECK(nlohmann::json(notices(relayed.events, "relay-mirror")).dump() == "[]");
}

TEST_CASE("[proxy] fidelity: without --trust, a forgery by the throwaway CA is named in a notice", "[proxy][fidelity][slow]") {
    // The Legacy Root is not a system root: the server's certificate goes to the throwaway CA,
    // and the client refuses the forgery itself, as it would refuse an untrusted original.
    const PairRun relayed = run_pair(cert_opts("srv") + " --max 1.2", cert_opts("cli") + " --max 1.2", 1, "");
    REQUIRE(relayed.client.size() == 1);
    CHECK(relayed.client[0]["outcome"] == "error:certificate_verify_failed");
    const auto trust = notices(relayed.events, "relay-trust");
    REQUIRE(!trust.empty());
    CHECK(trust[0].find("throwaway untrusted CA") != std::string::npos);
    CHECK(trust[0].find("does not chain to the system roots") != std::string::npos);
}
