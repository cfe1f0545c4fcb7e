// What siptap writes for Wireshark: --write-pcap (decrypted SIP as plain TCP, readable by
// tshark without errors) and --keylog (decrypts a dumpcap capture of the relayed connections).
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <sstream>

#include "kamailio_support.hpp"
#include "siptap_support.hpp"

using namespace proxy_test;

namespace {

const std::string kOptions =
    "OPTIONS sip:lync01.contoso.com;transport=tls SIP/2.0\r\n"
    "Via: SIP/2.0/TLS um01.contoso.com:5061;branch=z9hG4bK-pcap-1\r\n"
    "From: <sip:um01.contoso.com>;tag=1\r\nTo: <sip:lync01.contoso.com>\r\n"
    "Call-ID: pcap-test-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

struct PcapSetup {
    TempDir dir;
    std::unique_ptr<Kamailio> lync;
    std::string request = dir / "options.sip";

    PcapSetup() {
        make_pki(dir);
        std::ofstream(request, std::ios::binary) << kOptions;
        lync = std::make_unique<Kamailio>(dir, KamailioSetup{"um01.contoso.com", dir / "forgeca.pem",
                                                             dir / "lync.pem", dir / "lync.key"});
    }
    std::string forge_args() const {
        return "--forge-ca " + dir / "forgeca.pem" + " --forge-ca-key " + dir / "forgeca.key" + " --trust " +
               dir / "ca.pem";
    }
};

// "METHOD\tSTATUS" lines, sorted, of the SIP tshark finds.
std::vector<std::string> sip_lines(const std::string& tshark_output) {
    std::vector<std::string> lines;
    std::istringstream in(tshark_output);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    return lines;
}

}  // namespace

TEST_CASE("[proxy] --write-pcap: the decrypted SIP of both legs as plain TCP that tshark reads cleanly", "[proxy][slow]") {
    PcapSetup s;
    const std::string pcap = s.dir / "relay.pcapng";
    SiptapProxy siptap(s.dir, s.lync->address(), s.forge_args() + " --write-pcap " + pcap);
    CHECK(run_sip_client(s.dir, siptap.address(), "um", s.request)["close"] == "open");
    CHECK(run_sip_client(s.dir, siptap.address(), "umwild", s.request)["close"] == "fin");
    siptap.wait_closes(4);
    siptap.stop();
    CHECK(file_mode(pcap) == 0600);

    const auto sip = sip_lines(command_output("timeout 20 tshark -r " + pcap +
                                              " -Y sip -T fields -e sip.Method -e sip.Status-Code 2>/dev/null"));
    CHECK(sip == std::vector<std::string>{"\t200", "\t200", "OPTIONS\t", "OPTIONS\t", "OPTIONS\t", "OPTIONS\t"});

    // Lync's bare FIN on the wildcard connection is in the file, from Lync's port.
    const auto fins = command_output("timeout 20 tshark -r " + pcap +
                                     " -Y 'tcp.flags.fin==1' -T fields -e tcp.srcport 2>/dev/null");
    CHECK(fins.find(std::to_string(s.lync->port())) != std::string::npos);

    const auto expert = command_output("timeout 20 tshark -r " + pcap +
                                       " -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -q -z expert 2>/dev/null");
    CAPTURE(expert);
    CHECK(expert.find("Chats") != std::string::npos);  // tshark did analyse it
    CHECK(expert.find("Error") == std::string::npos);
    CHECK(expert.find("Warn") == std::string::npos);
    CHECK(expert.find("Malformed") == std::string::npos);
    CHECK(expert.find("hecksum") == std::string::npos);
}

TEST_CASE("[proxy] --keylog (mode 0600) lets tshark decrypt a capture of both relayed connections", "[proxy][slow]") {
    PcapSetup s;
    const std::string keylog = s.dir / "keys.txt", capture = s.dir / "lo.pcapng";
    SiptapProxy siptap(s.dir, s.lync->address(), s.forge_args() + " --keylog " + keylog);
    const std::string lync_port = std::to_string(s.lync->port()), relay_port = std::to_string(siptap.port());
    Spawned dumpcap("exec timeout 30 dumpcap -q -i lo -f 'tcp port " + lync_port + " or tcp port " + relay_port +
                    "' -w " + capture + " 2> " + s.dir / "dumpcap.err");
    REQUIRE(wait_until([&] { return read_file(s.dir / "dumpcap.err").find("Capturing on") != std::string::npos; }, 10s));
    CHECK(run_sip_client(s.dir, siptap.address(), "um", s.request)["close"] == "open");
    siptap.wait_closes(2);
    dumpcap.kill(SIGINT);
    REQUIRE(dumpcap.wait_exit(10s));
    CHECK(file_mode(keylog) == 0600);

    const std::string decode = " -d tcp.port==" + lync_port + ",tls -d tcp.port==" + relay_port + ",tls -d tls.port==" +
                               lync_port + ",sip -d tls.port==" + relay_port + ",sip";
    const auto sip = sip_lines(command_output("timeout 20 tshark -r " + capture + " -o tls.keylog_file:" + keylog +
                                              decode + " -Y sip -T fields -e sip.Method -e sip.Status-Code 2>/dev/null"));
    CHECK(sip == std::vector<std::string>{"\t200", "\t200", "OPTIONS\t", "OPTIONS\t"});
    // Without the key log the same capture shows no SIP: the test can fail.
    CHECK(sip_lines(command_output("timeout 20 tshark -r " + capture + decode +
                                   " -Y sip -T fields -e sip.Method 2>/dev/null")).empty());
}
