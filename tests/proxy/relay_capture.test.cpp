// --capture: both legs as they crossed the wire, with their TLS secrets embedded. tshark
// decrypts it with no key file, and `siptap read` of it prints what the live relay printed.
// Three sessions through one relay, UM client (Python ssl) -> siptap (forged certificates)
// -> Kamailio as Lync: a good one (OPTIONS -> 200 OK), the wildcard incident (Lync closes
// with a bare FIN, no answer) and one the client ends with an RST (SO_LINGER 0).
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "kamailio_support.hpp"
#include "requirement_support.hpp"
#include "siptap_support.hpp"

using namespace proxy_test;
using nlohmann::json;

namespace {

const std::string kOptions =
    "OPTIONS sip:lync01.contoso.com;transport=tls SIP/2.0\r\n"
    "Via: SIP/2.0/TLS um01.contoso.com:5061;branch=z9hG4bK-capture-1\r\n"
    "From: <sip:um01.contoso.com>;tag=1\r\nTo: <sip:lync01.contoso.com>\r\n"
    "Call-ID: capture-test-1\r\nCSeq: 1 OPTIONS\r\nUSER-AGENT: RTCC/4.0.0.0 MSExchangeUM/14.0\r\n"
    "Content-Length: 0\r\n\r\n";

struct CapturedRelay {
    TempDir dir;
    std::string capture = dir / "session.pcapng", decrypted = dir / "decrypted.pcapng", keylog = dir / "keys.txt";
    std::uint16_t relay_port = 0, lync_port = 0;
    json good, wildcard, reset;  // what each client saw
    std::vector<json> live;

    explicit CapturedRelay(bool tls12) {
        make_pki(dir);
        const std::string request = dir / "options.sip";
        std::ofstream(request, std::ios::binary) << kOptions;
        Kamailio lync(dir, KamailioSetup{"um01.contoso.com", dir / "forgeca.pem", dir / "lync.pem", dir / "lync.key",
                                         tls12 ? "TLSv1.2" : "TLSv1.2+"});
        lync_port = lync.port();
        SiptapProxy siptap(dir, lync.address(),
                           "--forge-ca " + dir / "forgeca.pem" + " --forge-ca-key " + dir / "forgeca.key" +
                               " --trust " + dir / "ca.pem" + " --capture " + capture + " --write-pcap " + decrypted +
                               " --keylog " + keylog);
        relay_port = siptap.port();
        const std::string version = tls12 ? "--tls12" : "";
        good = run_sip_client(dir, siptap.address(), "um", request, "", version);
        wildcard = run_sip_client(dir, siptap.address(), "umwild", request, "", version);
        reset = run_sip_client(dir, siptap.address(), "um", request, "", version + " --reset");
        siptap.wait_closes(6);
        siptap.stop();
        live = siptap.events();
    }

    // Neither port is 5061, so tshark is told that both carry TLS, and that TLS carries SIP.
    std::string tshark(const std::string& file, const std::string& args) const {
        std::string decode;
        for (auto port : {relay_port, lync_port})
            decode += " -d tcp.port==" + std::to_string(port) + ",tls -d tls.port==" + std::to_string(port) + ",sip";
        return command_output("timeout 30 tshark -r " + file + decode + " " + args + " 2>/dev/null");
    }
};

std::vector<std::string> sorted_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    return lines;
}

// One event stream, normalised for comparing a live run with its replay, per connection:
//  - `ts` goes (wall clock live, capture time in the replay; the capture records the live
//    event times, but the comparison does not depend on it);
//  - `seq` goes: it numbers events across all connections, and the order in which the two
//    legs' events interleave is not part of the contract (live it is the order two I/O
//    threads reached the event gate, in the replay the order of packets in the file), so
//    the streams are compared per connection, in order;
//  - `conn` becomes the connection's "src>dst" (from its conn_open): ids are numbered in
//    order of first appearance, which for legs opened concurrently is not fixed;
//  - a finding's `evidence` (seq numbers) becomes the referenced events' positions within
//    their connection.
std::map<std::string, std::vector<json>> per_connection(const std::vector<json>& events) {
    std::map<std::uint64_t, std::string> names;
    std::map<std::uint64_t, std::pair<std::string, std::size_t>> where;  // seq -> (conn, index)
    std::map<std::string, std::vector<json>> out;
    for (const auto& e : events) {
        if (e["event"] == "conn_open") names[e["conn"]] = e["src"].get<std::string>() + ">" + e["dst"].get<std::string>();
        const std::string conn = e.contains("conn") ? names[e["conn"]] : "";
        json n = e;
        n.erase("ts");
        n.erase("seq");
        n["conn"] = conn;
        if (n.contains("evidence")) {
            json refs = json::array();
            for (const auto& seq : e["evidence"]) {
                const auto it = where.find(seq.get<std::uint64_t>());
                refs.push_back(it == where.end() ? json("?") : json{it->second.first, it->second.second});
            }
            n["evidence"] = refs;
        }
        where[e["seq"].get<std::uint64_t>()] = {conn, out[conn].size()};
        out[conn].push_back(std::move(n));
    }
    return out;
}

// Compares the live run's events with those of `siptap read CAPTURE`, per connection, in order.
void check_replay_matches(const TempDir& dir, const std::vector<json>& live_events, const std::string& capture) {
    const auto live = per_connection(live_events);
    const std::string replay_file = dir / "replay.jsonl";
    command_output("timeout 30 " + std::string(SIPTAP_BINARY) + " read --json " + capture + " > " + replay_file +
                   " 2> " + dir / "replay_err");
    const auto replay = per_connection(read_events(replay_file));
    CAPTURE(read_file(dir / "replay_err"));
    CHECK(replay.size() == live.size());
    for (const auto& [conn, events] : live) {
        CAPTURE(conn);
        const auto it = replay.find(conn);
        REQUIRE(it != replay.end());
        for (std::size_t i = 0; i < std::max(events.size(), it->second.size()); ++i) {
            CAPTURE(i);
            CHECK((i < events.size() ? events[i].dump() : "(none)") ==
                  (i < it->second.size() ? it->second[i].dump() : "(none)"));
        }
    }
}

// The subject CNs in the certificates each sender presented, as tshark decrypts them.
std::map<std::string, std::string> certificate_cns(const CapturedRelay& r) {
    const std::string relay = std::to_string(r.relay_port), lync = std::to_string(r.lync_port);
    std::map<std::string, std::string> cns;  // sender -> CNs
    std::istringstream certs(r.tshark(r.capture, "-Y tls.handshake.certificate -T fields -e tcp.srcport "
                                                 "-e tcp.dstport -e x509sat.uTF8String"));
    for (std::string line; std::getline(certs, line);) {
        std::istringstream fields(line);
        std::string src, dst, names;
        std::getline(std::getline(std::getline(fields, src, '\t'), dst, '\t'), names);
        const std::string sender = src == lync ? "lync" : dst == lync ? "siptap-to-lync" : src == relay ? "siptap-to-um" : "um";
        cns[sender] += names + ",";
    }
    return cns;
}

// The conn_close of the nth (from 0) connection opened towards `dst_port`.
const json* close_of(const std::vector<json>& events, const std::string& dst_port, std::size_t nth) {
    std::optional<std::uint64_t> conn;
    for (const auto& e : events)
        if (e["event"] == "conn_open" && e["dst"].get<std::string>().ends_with(":" + dst_port) && nth-- == 0) {
            conn = e["conn"].get<std::uint64_t>();
            break;
        }
    for (const auto& e : events)
        if (conn && e["event"] == "conn_close" && e["conn"] == *conn) return &e;
    return nullptr;
}

}  // namespace

TEST_CASE("[proxy] --capture: tshark shows both legs' SIP and certificates with no key file, without warnings",
          "[proxy][capture][slow]") {
    test::require_available("sngrep", test::on_path("sngrep"), "apt-get install -y sngrep (tools/bootstrap.sh does)");
    const bool tls12 = GENERATE(false, true);
    CAPTURE(tls12);
    CapturedRelay r(tls12);
    CHECK(r.good["close"] == "open");
    CHECK(r.wildcard["close"] == "fin");
    CHECK(file_mode(r.capture) == 0600);  // it holds the TLS secrets
    for (const auto& e : r.live)  // what was negotiated, as siptap reported it
        if (e["event"] == "tls" && e["type"] == "server_hello") {
            CHECK(e["version"] == (tls12 ? "TLS 1.2" : "TLS 1.3"));
            if (tls12) CHECK(e["cipher"].get<std::string>().starts_with("TLS_ECDHE_"));
        }

    // Three sessions, two legs each: every OPTIONS, and the 200 OK of the good and reset ones.
    const auto sip = sorted_lines(r.tshark(r.capture, "-Y sip -T fields -e sip.Method -e sip.Status-Code"));
    CHECK(sip == std::vector<std::string>{"\t200", "\t200", "\t200", "\t200", "OPTIONS\t", "OPTIONS\t", "OPTIONS\t",
                                          "OPTIONS\t", "OPTIONS\t", "OPTIONS\t"});
    // Without the embedded secrets the same file shows no SIP: the test can fail.
    const std::string stripped = r.dir / "no-secrets.pcapng";
    command_output("editcap --discard-all-secrets " + r.capture + " " + stripped);
    CHECK(r.tshark(stripped, "-Y sip -T fields -e sip.Method").empty());
    // --keylog, written alongside, holds the same secrets.
    CHECK(file_mode(r.keylog) == 0600);
    CHECK(sorted_lines(r.tshark(stripped, "-o tls.keylog_file:" + r.keylog +
                                              " -Y sip -T fields -e sip.Method -e sip.Status-Code")) == sip);

    // Warnings and errors: only the two resets of the RST session (Wireshark warns on every
    // RST); no malformed packet, bad checksum, sequence or TLS problem.
    const auto warnings = sorted_lines(r.tshark(r.capture, "-o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE "
                                                          "-Y '_ws.expert.severity >= 0x600000' -T fields "
                                                          "-e tcp.dstport -e _ws.expert.message"));
    // The client's RST to siptap, and siptap's mirror of it to Lync.
    auto expected = std::vector<std::string>{std::to_string(r.relay_port) + "\tConnection reset (RST)",
                                             std::to_string(r.lync_port) + "\tConnection reset (RST)"};
    std::sort(expected.begin(), expected.end());
    CHECK(warnings == expected);
    const std::string expert = r.tshark(r.capture, "-q -z expert");
    CHECK(expert.find("Chats") != std::string::npos);  // tshark did analyse it

    // Both legs' certificates, decrypted in TLS 1.3: by port of the sender, the subject CNs seen.
    auto cns = certificate_cns(r);
    std::string seen;
    for (const auto& [sender, names] : cns) seen += sender + ": " + names + "\n";
    CAPTURE(seen);
    CHECK(cns["lync"].find("lync01.contoso.com") != std::string::npos);
    CHECK(cns["siptap-to-um"].find("lync01.contoso.com") != std::string::npos);  // the forgery
    for (const auto& sender : {"um", "siptap-to-lync"}) {
        CHECK(cns[sender].find("um01.contoso.com") != std::string::npos);
        CHECK(cns[sender].find("*.contoso.com") != std::string::npos);  // the incident's certificate
    }

    // sngrep 1.6 decrypts TLS only with an RSA private key (-k), not with key logs or pcapng
    // secrets, so it finds no dialog in the capture; it must still read the file cleanly. The
    // decrypted --write-pcap of the same sessions it reads as SIP.
    const auto on_capture = command_output("timeout 20 sngrep -I " + r.capture + " -N 2>&1; echo rc=$?");
    CAPTURE(on_capture);
    CHECK(on_capture.find("rc=0") != std::string::npos);
    CHECK(on_capture.find("Dialog count: ") != std::string::npos);
    const auto on_decrypted = command_output("timeout 20 sngrep -I " + r.decrypted + " -N 2>&1");
    CHECK(on_decrypted.find("Dialog count: 1") != std::string::npos);  // one Call-ID, three sessions
}

TEST_CASE("[proxy] siptap read of the --capture file prints what the live relay printed", "[proxy][capture][slow]") {
    const bool tls12 = GENERATE(false, true);
    CAPTURE(tls12);
    CapturedRelay r(tls12);
    const std::string lync = std::to_string(r.lync_port), relay = std::to_string(r.relay_port);

    // The live stream is worth comparing: six legs, the wildcard incident and the reset in it.
    const auto live = per_connection(r.live);
    REQUIRE(live.size() == 6);
    const json* wildcard_close = close_of(r.live, lync, 1);
    REQUIRE(wildcard_close);
    CHECK((*wildcard_close)["how"] == "fin");
    CHECK((*wildcard_close)["side"] == "server");  // Lync hung up, after the OPTIONS
    const json* reset_client = close_of(r.live, relay, 2);
    const json* reset_upstream = close_of(r.live, lync, 2);
    REQUIRE(reset_client);
    REQUIRE(reset_upstream);
    CHECK((*reset_client)["how"] == "rst");
    CHECK((*reset_upstream)["how"] == "rst");  // mirrored by siptap

    check_replay_matches(r.dir, r.live, r.capture);
    CHECK(read_file(r.dir / "replay_err").find(r.capture + " (embedded)") != std::string::npos);
}

// A plain SIP peer: answers the first request with 200 OK, then closes (a FIN).
const char* kPlainServer = R"(import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); s.settimeout(15)
c, _ = s.accept(); c.settimeout(5); data = b""
while b"\r\n\r\n" not in data:
    chunk = c.recv(65536)
    if not chunk: break
    data += chunk
c.sendall(open(sys.argv[2], "rb").read()); c.close()
)";
// A plain SIP client: sends the request, reads until the server closes, then closes.
const char* kPlainClient = R"(import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
c.sendall(open(sys.argv[2], "rb").read())
while c.recv(65536): pass
c.close()
)";

TEST_CASE("[proxy] --plain --capture: the SIP as sent, no secrets, replayed as the live run printed it",
          "[proxy][capture]") {
    TempDir dir;
    const std::string capture = dir / "plain.pcapng", request = dir / "options.sip", answer = dir / "ok.sip";
    std::ofstream(request, std::ios::binary) << kOptions;
    std::ofstream(answer, std::ios::binary)
        << "SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS um01.contoso.com:5061;branch=z9hG4bK-capture-1\r\n"
           "From: <sip:um01.contoso.com>;tag=1\r\nTo: <sip:lync01.contoso.com>;tag=2\r\n"
           "Call-ID: capture-test-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    std::ofstream(dir / "server.py") << kPlainServer;
    std::ofstream(dir / "client.py") << kPlainClient;
    const std::uint16_t upstream_port = free_port();
    Spawned server("exec timeout 20 python3 " + dir / "server.py" + " " + std::to_string(upstream_port) + " " + answer);
    REQUIRE(wait_listening(upstream_port, 5s));
    SiptapProxy siptap(dir, "127.0.0.1:" + std::to_string(upstream_port), "--plain --capture " + capture);
    command_output("timeout 15 python3 " + dir / "client.py" + " " + std::to_string(siptap.port()) + " " + request);
    siptap.wait_closes(2);
    siptap.stop();
    CHECK(file_mode(capture) == 0600);

    std::string decode;
    for (auto port : {siptap.port(), upstream_port}) decode += " -d tcp.port==" + std::to_string(port) + ",sip";
    const auto sip = sorted_lines(command_output("timeout 20 tshark -r " + capture + decode +
                                                 " -Y sip -T fields -e sip.Method -e sip.Status-Code 2>/dev/null"));
    CHECK(sip == std::vector<std::string>{"\t200", "\t200", "OPTIONS\t", "OPTIONS\t"});
    check_replay_matches(dir, siptap.events(), capture);
    // No Decryption Secrets Block: `read` found no embedded keys.
    CHECK(read_file(dir / "replay_err").find("(embedded)") == std::string::npos);
}
