// Shared by the relay fidelity tests: the legacy PKI (make_legacy_pki.sh, generated once per
// run), the Schannel stand-ins of legacy_peers.py run as a pair directly or through
// `siptap proxy --forge-ca`, and readers of what each peer reported.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "siptap_support.hpp"

namespace proxy_test {

extern const std::string kLegacyPeers;  // tests/proxy/legacy_peers.py

// Generated once per test process: RSA keys take a while on a busy machine.
const TempDir& legacy_pki();
// " --cert <name>.pem --key <name>.key" of the legacy PKI.
std::string cert_opts(const std::string& name);
// siptap's --forge-ca and --forge-ca-key (the "siptap Forge CA" the peers trust).
std::string forge_opts();

std::vector<nlohmann::json> json_lines(const std::string& text);

struct PairRun {
    std::vector<nlohmann::json> client, server, events;
    std::string listen, upstream;  // "127.0.0.1:port" of siptap (when relayed) and of the server
};

// One pair: the Python server, then (with `relay_opts` set) siptap in front of it, then the
// Python client, which connects `connections` times. Options given later override earlier
// ones (argparse), so `client_opts` may replace the default --cafile.
PairRun run_pair(const std::string& server_opts, const std::string& client_opts, int connections,
                 const std::optional<std::string>& relay_opts);

// The messages of siptap's notices of kind `what`.
std::vector<std::string> notices(const std::vector<nlohmann::json>& events, const std::string& what);

}  // namespace proxy_test
