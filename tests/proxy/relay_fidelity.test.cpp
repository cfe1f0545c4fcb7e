// The relay's fidelity rule (SPEC.md) with the peers siptap exists for: Schannel-like servers
// and clients (Python ssl at security level 0, TLS 1.0/1.1, RSA key exchange, SHA-1 and RSA-1024
// certificates). Each pair runs directly and through `siptap proxy --forge-ca`, and both peers
// must see the same: handshake outcome or alert, version, cipher, the certificate's signature
// algorithm, key size and EKU, OPTIONS answered or not; the server must receive the client's
// SNI, versions and cipher suites.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "kamailio_support.hpp"
#include "siptap_support.hpp"

using namespace proxy_test;

namespace {

const std::string kPeers = std::string(SIPTAP_SOURCE_DIR) + "/tests/proxy/legacy_peers.py";

// Generated once per test run: RSA keys take a while on a busy machine.
const TempDir& legacy_pki() {
    static const TempDir dir = [] {
        TempDir d;
        const std::string script = std::string(SIPTAP_SOURCE_DIR) + "/tests/proxy/make_legacy_pki.sh";
        if (std::system(("sh " + script + " " + d.path.string()).c_str()) != 0)
            throw std::runtime_error("make_legacy_pki.sh failed (is openssl installed?)");
        return d;
    }();
    return dir;
}

std::string cert_opts(const std::string& name) {
    const auto& pki = legacy_pki();
    return " --cert " + pki / (name + ".pem") + " --key " + pki / (name + ".key");
}

std::string forge_opts() {
    const auto& pki = legacy_pki();
    return "--forge-ca " + pki / "forge.pem" + " --forge-ca-key " + pki / "forge.key";
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
    std::vector<nlohmann::json> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (auto j = nlohmann::json::parse(line, nullptr, false); !j.is_discarded()) out.push_back(j);
    return out;
}

struct PairRun {
    std::vector<nlohmann::json> client, server, events;
};

// One pair: the Python server, then (with `relay_opts` set) siptap in front of it, then the
// Python client, which connects `connections` times.
PairRun run_pair(const std::string& server_opts, const std::string& client_opts, int connections,
                 const std::optional<std::string>& relay_opts) {
    TempDir dir;
    const auto& pki = legacy_pki();
    const std::string port_file = dir / "port", report = dir / "server.jsonl";
    Spawned server("exec timeout 30 python3 " + kPeers + " server --accept " + std::to_string(connections) +
                   " --port-file " + port_file + " --report " + report + " --cafile " + pki / "trust.pem" + " " +
                   server_opts + " 2> " + dir / "server.err");
    if (!wait_until([&] { return std::filesystem::exists(port_file); }, 10s))
        FAIL("legacy_peers.py server did not start (python3 with the cryptography module?): " +
             read_file(dir / "server.err"));
    std::string target = "127.0.0.1:" + read_file(port_file);
    std::unique_ptr<SiptapProxy> siptap;
    if (relay_opts) {
        siptap = std::make_unique<SiptapProxy>(dir, target, forge_opts() + " " + *relay_opts);
        target = siptap->address();
    }
    PairRun run;
    run.client = json_lines(command_output("timeout 30 python3 " + kPeers + " client --connect " + target +
                                           " --cafile " + pki / "trust.pem" + " " + client_opts + " 2>&1"));
    server.wait_exit(10s);
    run.server = json_lines(read_file(report));
    if (siptap) run.events = siptap->wait_closes(2 * static_cast<std::size_t>(connections), 5s);
    if (siptap && relay_opts->empty()) {  // the start-up line says which roots decide trust
        const std::string err = read_file(dir / "siptap_err");
        CHECK(err.find("forged certificates chain to the forge CA when the original chains to the system roots") !=
              std::string::npos);
    }
    return run;
}

// What a peer can tell about its side of the handshake and the SIP exchange.
nlohmann::json seen(const nlohmann::json& line, bool server) {
    nlohmann::json v;
    for (const char* k : {"outcome", "version", "cipher", "answered", "request"})
        if (line.contains(k)) v[k] = line[k];
    if (line.contains("peer") && !line["peer"].is_null()) v["peer"] = line["peer"];
    if (server && line.contains("hello") && !line["hello"].is_null()) v["hello"] = line["hello"];
    return v;
}

std::vector<std::string> notices(const std::vector<nlohmann::json>& events, const std::string& what) {
    std::vector<std::string> out;
    for (const auto& e : events)
        if (e["event"] == "notice" && e["what"] == what) out.push_back(e["message"]);
    return out;
}

struct Row {
    const char* name;
    std::string server, client;  // legacy_peers.py options
    const char* direct_outcome;  // what the client sees directly: the row means what it says
    int connections = 1;
};

}  // namespace

TEST_CASE("[proxy] fidelity: Schannel-like pairs see through siptap what they see directly", "[proxy][fidelity]") {
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

TEST_CASE("[proxy] fidelity: without --trust, a forgery by the throwaway CA is named in a notice", "[proxy][fidelity]") {
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
