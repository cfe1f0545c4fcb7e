// A real HOMER capture node accepts what --hep sends: Kamailio's sipcapture module (Debian's
// kamailio package) decodes our HEPv3 packets and stores each SIP message with its addresses,
// ports, timestamp, transport, correlation id and capture agent, which the test compares with
// the events siptap itself read from the same capture.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "capture_run_support.hpp"
#include "requirement_support.hpp"
#include "views_support.hpp"

namespace {

using decoder::SipMessage;

// db_text rows: fields split on unescaped ':'; "\:", "\\", "\r", "\n", "\t" are escapes.
std::vector<std::string> split_row(const std::string& line) {
    std::vector<std::string> fields(1);
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (c == ':') {
            fields.emplace_back();
        } else if (c == '\\' && i + 1 < line.size()) {
            const char e = line[++i];
            fields.back() += e == 'r' ? '\r' : e == 'n' ? '\n' : e == 't' ? '\t' : e;
        } else {
            fields.back() += c;
        }
    }
    return fields;
}

// The stored table as rows keyed by column name, in insertion (id) order.
std::vector<std::map<std::string, std::string>> parse_table(const std::string& text) {
    std::vector<std::string> lines;
    for (std::size_t at = 0; at < text.size();) {
        const auto end = std::min(text.find('\n', at), text.size());
        if (end > at) lines.push_back(text.substr(at, end - at));
        at = end + 1;
    }
    std::vector<std::map<std::string, std::string>> rows;
    if (lines.empty()) return rows;
    std::vector<std::string> names;
    for (std::size_t at = 0; at < lines[0].size();) {
        const auto end = std::min(lines[0].find(' ', at), lines[0].size());
        const auto col = lines[0].substr(at, end - at);
        names.push_back(col.substr(0, col.find('(')));
        at = end + 1;
    }
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto fields = split_row(lines[i]);
        if (fields.size() != names.size()) continue;  // counted below as a missing row
        std::map<std::string, std::string> row;
        for (std::size_t c = 0; c < names.size(); ++c) row[names[c]] = fields[c];
        rows.push_back(std::move(row));
    }
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return std::stoull(a.at("id")) < std::stoull(b.at("id")); });
    return rows;
}

std::uint16_t free_udp_port() {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    close(fd);
    return ntohs(a.sin_port);
}

bool sipcapture_installed() {
    return test::run_shell("command -v kamailio && find /usr/lib -path '*kamailio/modules/sipcapture.so' | grep -q .")
               .exit_code == 0;
}

}  // namespace

TEST_CASE("[hep] Kamailio's sipcapture node stores every message with its addresses and times", "[hep][kamailio][slow]") {
    test::require_available("kamailio", sipcapture_installed(),
                            "kamailio with sipcapture.so: apt-get install -y kamailio (tools/bootstrap.sh does)");
    const auto file = GENERATE(as<std::string>{}, "sip-udp-call.pcap", "sip-ipv6.pcapng", "sip-tcp-segmented.pcap");
    CAPTURE(file);
    const auto dir = std::filesystem::temp_directory_path() /
                     ("siptap-hep-node-" + std::to_string(getpid()) + "-" + std::to_string(std::rand()));
    const auto port = std::to_string(free_udp_port());
    const auto run = test::run_shell(
        views_test::quote(std::string(SIPTAP_SOURCE_DIR) + "/tests/cli/kamailio_hep_node.sh") + " " +
            views_test::quote(dir.string()) + " " + port + " siptap-test -- " + views_test::quote(SIPTAP_BINARY) +
            " read --hep 127.0.0.1:" + port + " --hep-id 4242 " + views_test::quote(test::pcap(file)),
        60);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);

    const auto events = test::read_events({test::pcap(file)});
    std::vector<const decoder::Event*> sip;
    for (const auto& e : events)
        if (e.as<SipMessage>()) sip.push_back(&e);
    const auto rows = parse_table(run.out);
    REQUIRE(!sip.empty());
    REQUIRE(rows.size() == sip.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& e = *sip[i];
        const auto& m = *e.as<SipMessage>();
        const auto& row = rows[i];
        CAPTURE(i, m.summary());
        CHECK(row.at("callid") == m.call_id);
        CHECK(row.at("correlation_id") == m.call_id);
        CHECK(row.at("msg") == m.raw);
        CHECK(row.at("source_ip") == e.src.ip);
        CHECK(row.at("source_port") == std::to_string(e.src.port));
        CHECK(row.at("destination_ip") == e.dst.ip);
        CHECK(row.at("destination_port") == std::to_string(e.dst.port));
        CHECK(row.at("date") == std::to_string(e.ts / 1'000'000));
        CHECK(row.at("micro_ts") == std::to_string(e.ts % (std::int64_t{1} << 32)));  // db_text's int is 32-bit
        CHECK(row.at("family") == std::to_string(e.src.ip.find(':') == std::string::npos ? AF_INET : AF_INET6));
        // Kamailio's own transport numbers: 1 UDP, 2 TCP.
        CHECK(row.at("proto") == (e.transport == decoder::Transport::Udp ? "1" : "2"));
        CHECK(row.at("node") == "siptap-test:4242");  // its node name, then our capture agent id
    }
    std::filesystem::remove_all(dir);
}
