// The terminal ladder: columns, arrow order and the teardown line, for events built here
// (the incident as it looks with a key log) and for the incident capture read by siptap.
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>
#include <sys/wait.h>

#include "decoder/model/event_bus.hpp"
#include "decoder/sinks/ladder_sink.hpp"

using namespace decoder;

namespace {

const Endpoint kUm{"10.0.0.2", 50341}, kLync{"10.0.0.3", 5061};

struct Recorder {
    std::vector<Event> events;
    std::uint64_t seq = 1;
    void add(Payload p, bool from_client, Micros ts = 1'700'000'000'000'000) {
        Event e;
        e.seq = seq++;
        e.ts = ts;
        e.conn = 1;
        e.transport = Transport::Tls;
        e.src = from_client ? kUm : kLync;
        e.dst = from_client ? kLync : kUm;
        e.payload = std::move(p);
        events.push_back(std::move(e));
    }
};

TlsMessage tls(const char* type, std::optional<int> count = {}) {
    TlsMessage m;
    m.type = type;
    m.version = "TLS 1.2";
    m.certificate_count = count;
    return m;
}

// The incident as seen with a key log: handshake, wildcard client certificate, OPTIONS, FIN.
std::vector<Event> incident_events() {
    Recorder r;
    r.add(ConnOpen{true}, true);
    r.add(tls("client_hello"), true);
    for (const char* t : {"server_hello", "certificate", "certificate_request", "server_hello_done"})
        r.add(tls(t, std::string(t) == "certificate" ? std::optional<int>(1) : std::nullopt), false);
    r.add(tls("certificate", 1), true);
    Certificate leaf;
    leaf.side = Side::Client;
    leaf.subject_cn = "*.contoso.com";
    leaf.wildcard_cn = true;
    r.add(leaf, true);
    for (const char* t : {"client_key_exchange", "certificate_verify", "change_cipher_spec", "finished"})
        r.add(tls(t), true);
    for (const char* t : {"change_cipher_spec", "finished"}) r.add(tls(t), false);
    SipMessage options;
    options.method = "OPTIONS";
    options.cseq_number = 1;
    options.raw = "OPTIONS sip:lync01.contoso.com SIP/2.0\r\n\r\n";
    r.add(options, true);
    ConnClose close;
    close.by = kLync;
    close.side = Side::Server;
    close.how = CloseHow::Fin;
    close.unanswered = {"OPTIONS 1"};
    close.client_messages = 1;
    r.add(close, true);
    r.add(Finding{Severity::Error, "wildcard-subject-cn", "wildcard", {7}}, true);
    return r.events;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// Index of the first line at or after `from` that contains `what`, or -1.
int find_line(const std::vector<std::string>& lines, const std::string& what, int from = 0) {
    for (int i = from; i < static_cast<int>(lines.size()); ++i)
        if (lines[static_cast<std::size_t>(i)].find(what) != std::string::npos) return i;
    return -1;
}

std::string render(const std::vector<Event>& events, int width) {
    std::ostringstream out;
    LadderSink sink(out, LadderStyle{width, false});
    for (const auto& e : events) sink.on_event(e);
    sink.on_end();
    return out.str();
}

// The arrows must come in this order, each after the previous one.
void check_order(const std::vector<std::string>& lines, const std::vector<std::string>& arrows) {
    int at = 0;
    for (const auto& a : arrows) {
        CAPTURE(a);
        const int found = find_line(lines, a, at);
        REQUIRE(found >= 0);
        at = found + 1;
    }
}

}  // namespace

TEST_CASE("[ladder] the incident: columns, arrow order, who hung up", "[ladder]") {
    const auto text = render(incident_events(), 100);
    CAPTURE(text);
    const auto lines = lines_of(text);
    const int header = find_line(lines, "10.0.0.2:50341", 1);
    REQUIRE(header >= 0);
    CHECK(lines[static_cast<std::size_t>(header)].find("10.0.0.3:5061") != std::string::npos);
    const auto& roles = lines[static_cast<std::size_t>(header) + 1];
    CHECK(roles.find("(client)") < roles.find("(server)"));
    CHECK(roles.find("(server)") != std::string::npos);
    check_order(lines, {"TCP connect", "ClientHello", "ServerHello+Certificate(1)+CertRequest+HelloDone",
                        "Certificate(1)+ClientKeyExch+CertVerify+CCS+Finished",
                        "client cert #0: CN=*.contoso.com  WILDCARD CN", "CCS+Finished", "OPTIONS 1",
                        "FIN after OPTIONS 1, no answer", "teardown: closed by 10.0.0.3:5061 (server) with FIN",
                        "ERROR   wildcard-subject-cn"});
    SECTION("requests point right, the server's flight left, the closer's lifeline ends in X") {
        const auto& options = lines[static_cast<std::size_t>(find_line(lines, "OPTIONS 1"))];
        CHECK(options.find("->|") != std::string::npos);
        const auto& flight = lines[static_cast<std::size_t>(find_line(lines, "ServerHello"))];
        CHECK(flight.find("|<-") != std::string::npos);
        const auto& fin = lines[static_cast<std::size_t>(find_line(lines, "FIN after"))];
        CHECK(fin.back() == 'X');
        CHECK(fin.find("|<=") != std::string::npos);
    }
    SECTION("width-bounded plain ASCII") {
        for (int width : {60, 100, 140}) {
            for (const auto& line : lines_of(render(incident_events(), width))) {
                CAPTURE(width, line);
                CHECK(static_cast<int>(line.size()) <= width);
                for (char ch : line) CHECK((ch >= 0x20 && ch <= 0x7e));
            }
        }
    }
}

TEST_CASE("[ladder] bytes from the wire never reach the terminal raw", "[ladder]") {
    auto events = incident_events();
    auto& sip = std::get<SipMessage>(events[14].payload);
    sip.method = "OPT\x1b[2JIONS";
    const auto text = render(events, 100);
    CHECK(text.find('\x1b') == std::string::npos);
    CHECK(text.find("OPT?[2JIONS 1") != std::string::npos);
}

TEST_CASE("[ladder] siptap read --ladder draws the incident capture", "[ladder]") {
    const std::string cmd = std::string("COLUMNS=100 timeout 60 '") + SIPTAP_BINARY + "' read --ladder --no-color '" +
                            SIPTAP_PCAP_DIR + "/tls-wildcard-incident.pcapng' 2>/dev/null";
    FILE* pipe = popen(cmd.c_str(), "r");
    REQUIRE(pipe);
    std::string text;
    std::array<char, 4096> buf{};
    while (const auto n = std::fread(buf.data(), 1, buf.size(), pipe)) text.append(buf.data(), n);
    const int status = pclose(pipe);
    CAPTURE(text);
    CHECK(WEXITSTATUS(status) == 1);  // error findings
    const auto lines = lines_of(text);
    const int header = find_line(lines, "127.0.0.2:");
    REQUIRE(header >= 0);
    CHECK(lines[static_cast<std::size_t>(header)].find("127.0.0.3:5061") != std::string::npos);
    check_order(lines, {"TCP connect", "ClientHello sni=lync01.contoso.com", "ServerHello+Certificate(2)",
                        "server cert #0: CN=lync01.contoso.com", "client cert #0: CN=*.contoso.com", "CCS+Finished",
                        "app data", "FIN after app data, no answer", "teardown: closed by 127.0.0.3:5061 (server)",
                        "wildcard-subject-cn", "closed-after-request"});
    const auto& fin = lines[static_cast<std::size_t>(find_line(lines, "FIN after"))];
    CHECK(fin.back() == 'X');
}
