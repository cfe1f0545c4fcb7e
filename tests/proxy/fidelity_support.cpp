#include "fidelity_support.hpp"

#include <sstream>

#include <catch2/catch.hpp>

namespace proxy_test {

const std::string kLegacyPeers = std::string(SIPTAP_SOURCE_DIR) + "/tests/proxy/legacy_peers.py";

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

PairRun run_pair(const std::string& server_opts, const std::string& client_opts, int connections,
                 const std::optional<std::string>& relay_opts) {
    TempDir dir;
    const auto& pki = legacy_pki();
    const std::string port_file = dir / "port", report = dir / "server.jsonl";
    Spawned server("exec timeout 30 python3 " + kLegacyPeers + " server --accept " + std::to_string(connections) +
                   " --port-file " + port_file + " --report " + report + " --cafile " + pki / "trust.pem" + " " +
                   server_opts + " 2> " + dir / "server.err");
    if (!wait_until([&] { return std::filesystem::exists(port_file); }, 10s))
        FAIL("legacy_peers.py server did not start (python3 with the cryptography module?): " +
             read_file(dir / "server.err"));
    PairRun run;
    run.upstream = "127.0.0.1:" + read_file(port_file);
    std::string target = run.upstream;
    std::unique_ptr<SiptapProxy> siptap;
    if (relay_opts) {
        siptap = std::make_unique<SiptapProxy>(dir, target, forge_opts() + " " + *relay_opts);
        target = run.listen = siptap->address();
    }
    run.client = json_lines(command_output("timeout 30 python3 " + kLegacyPeers + " client --connect " + target +
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

std::vector<std::string> notices(const std::vector<nlohmann::json>& events, const std::string& what) {
    std::vector<std::string> out;
    for (const auto& e : events)
        if (e["event"] == "notice" && e["what"] == what) out.push_back(e["message"]);
    return out;
}

}  // namespace proxy_test
