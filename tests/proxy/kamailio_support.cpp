#include "kamailio_support.hpp"

#include <fstream>
#include <stdexcept>

namespace proxy_test {

namespace {

std::string tls_config(const KamailioSetup& s) {
    return "[server:default]\n"
           "method = " + s.tls_method + "\n" +
           (s.cipher_list.empty() ? "" : "cipher_list = " + s.cipher_list + "\n") +
           "verify_certificate = yes\n"
           "require_certificate = yes\n"
           "certificate = " + s.cert + "\n"
           "private_key = " + s.key + "\n"
           "ca_list = " + s.ca_file + "\n\n"
           "[client:default]\n"
           "verify_certificate = no\n"
           "require_certificate = no\n";
}

// The routing script: Lync's check of the peer's subject CN, reduced to its visible effect.
std::string kamailio_config(const std::string& dir, std::uint16_t port, const std::string& expected_cn) {
    return "#!KAMAILIO\n"
           "debug=2\nlog_stderror=yes\nfork=yes\nchildren=1\ntcp_children=1\n"
           "enable_tls=yes\nauto_aliases=no\n"
           "listen=tls:127.0.0.1:" + std::to_string(port) + "\n"
           "mpath=\"/usr/lib/x86_64-linux-gnu/kamailio/modules/\"\n"
           "loadmodule \"tls.so\"\nloadmodule \"sl.so\"\nloadmodule \"pv.so\"\n"
           "loadmodule \"xlog.so\"\nloadmodule \"tcpops.so\"\n"
           "modparam(\"tls\", \"config\", \"" + dir + "/kamailio-tls.cfg\")\n"
           "request_route {\n"
           "    xlog(\"L_INFO\", \"siptap-test: $rm from CN=$tls_peer_subject_cn\\n\");\n"
           "    if ($rm == \"OPTIONS\") {\n"
           "        if ($tls_peer_subject_cn == \"" + expected_cn + "\") {\n"
           "            sl_send_reply(\"200\", \"OK\");\n"
           "            exit;\n"
           "        }\n"
           "        tcp_close_connection();\n"  // no reply at all, as Lync does
           "        exit;\n"
           "    }\n"
           "    sl_send_reply(\"403\", \"Forbidden\");\n"
           "}\n";
}

}  // namespace

Kamailio::Kamailio(const TempDir& dir, const KamailioSetup& setup) : port_(free_port()) {
    const std::string d = dir.path.string();
    std::ofstream(dir / "kamailio-tls.cfg") << tls_config(setup);
    std::ofstream(dir / "kamailio.cfg") << kamailio_config(d, port_, setup.expected_cn);
    std::filesystem::create_directories(dir / "kamailio-run");
    process_ = std::make_unique<Spawned>("exec kamailio -DD -E -m 32 -M 4 -f " + dir / "kamailio.cfg" +
                                         " -Y " + dir / "kamailio-run" + " > " + dir / "kamailio.log" + " 2>&1");
    if (!wait_listening(port_, 10s))
        throw std::runtime_error("kamailio did not start listening:\n" + read_file(dir / "kamailio.log"));
}

nlohmann::json run_sip_client(const TempDir& dir, const std::string& address, const std::string& cert,
                              const std::string& request_file, const std::string& keylog,
                              const std::string& options) {
    std::string cmd = "timeout 15 python3 " + std::string(SIPTAP_SOURCE_DIR) +
                      "/tests/proxy/sip_tls_client.py --timeout 5 --connect " + address + " --send " +
                      request_file + " --cert " + dir / (cert + ".pem") + " --key " + dir / (cert + ".key");
    if (!keylog.empty()) cmd += " --keylog " + keylog;
    if (!options.empty()) cmd += " " + options;
    const std::string out = command_output(cmd);
    auto j = nlohmann::json::parse(out, nullptr, false);
    if (j.is_discarded()) return nlohmann::json{{"error", "client printed no JSON: " + out}};
    return j;
}

}  // namespace proxy_test
