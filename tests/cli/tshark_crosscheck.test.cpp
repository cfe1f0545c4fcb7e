// Our decode of every sample capture must agree with tshark's: SIP methods, status codes
// and Call-IDs in order; certificate SANs and serial numbers in order.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "capture_run_support.hpp"

using namespace decoder;

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    for (std::string item; std::getline(ss, item, sep);)
        if (!item.empty()) out.push_back(item);
    return out;
}

// Keeps empty fields, so a response's empty sip.Method does not shift the columns.
std::vector<std::string> fields_of(const std::string& line) {
    std::vector<std::string> out(1);
    for (char c : line) {
        if (c == ';') out.emplace_back();
        else out.back() += c;
    }
    return out;
}

std::string tshark(const std::string& file, const std::string& args) {
    // Out-of-order reassembly is off by default in tshark 4.0; we always reassemble.
    const auto r = test::run_shell("tshark -o tcp.reassemble_out_of_order:TRUE -r '" + file + "' " + args);
    REQUIRE(r.exit_code == 0);
    return r.out;
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

TEST_CASE("[tshark] SIP methods, statuses and Call-IDs agree with tshark", "[tshark]") {
    const std::string capture = GENERATE(as<std::string>{},
        "sip-udp-call.pcap", "sip-tcp-segmented.pcap", "sip-options-504-ms-diagnostics.pcap", "sip-ipv6.pcapng",
        "sip-vlan.pcap", "sip-linux-sll.pcap", "sip-linux-sll2.pcap", "sip-raw-ip.pcap", "sip-bsd-null.pcap",
        "sip-ipv4-fragmented.pcap", "sip-tcp-reorder.pcap");
    CAPTURE(capture);
    const auto path = test::pcap(capture);
    std::vector<std::string> theirs;
    // One line per frame; a frame with several SIP messages lists them comma-separated.
    for (const auto& line : split(tshark(path, "-Y sip -T fields -E \"separator=;\" -e sip.Method -e sip.Status-Code -e sip.Call-ID"), '\n')) {
        const auto fields = fields_of(line);
        const auto parts = [&](std::size_t i) { return i < fields.size() ? split(fields[i], ',') : std::vector<std::string>{}; };
        const auto methods = parts(0), statuses = parts(1), ids = parts(2);
        std::size_t m = 0, s = 0;
        for (const auto& id : ids) {
            // tshark lists requests' methods and responses' codes separately; our order is
            // per message, and within one frame requests and responses do not mix here.
            if (m < methods.size()) theirs.push_back(methods[m++] + " " + id);
            else if (s < statuses.size()) theirs.push_back(statuses[s++] + " " + id);
        }
    }
    std::vector<std::string> ours;
    const auto events = test::read_events({path});
    for (const auto* sip : test::payloads<SipMessage>(events))
        ours.push_back((sip->is_request ? std::string(sip->method) : std::to_string(sip->status)) + " " +
                       std::string(sip->call_id));
    REQUIRE_FALSE(ours.empty());
    CHECK(ours == theirs);
}

TEST_CASE("[tshark] certificate SANs and serials agree with tshark's x509 fields", "[tshark]") {
    const std::string capture = GENERATE(as<std::string>{},
        "tls-good.pcapng", "tls-wildcard-incident.pcapng", "tls-untrusted-ca.pcapng", "tls-expired-cert.pcapng");
    CAPTURE(capture);
    const auto path = test::pcap(capture);
    std::vector<std::string> their_sans, their_serials, their_strings;
    for (const auto& line : split(tshark(path, "-Y tls.handshake.certificate -T fields -E \"separator=;\" "
                                               "-e x509ce.dNSName -e x509af.serialNumber -e x509sat.uTF8String "
                                               "-e x509sat.printableString"), '\n')) {
        const auto fields = fields_of(line);
        for (const auto& v : split(fields[0], ',')) their_sans.push_back(v);
        if (fields.size() > 1) for (const auto& v : split(fields[1], ',')) their_serials.push_back(v);
        for (std::size_t i = 2; i < fields.size(); ++i)
            for (const auto& v : split(fields[i], ',')) their_strings.push_back(v);
    }
    std::vector<std::string> our_sans, our_serials;
    const auto events = test::read_events({path});
    for (const auto* c : test::payloads<Certificate>(events)) {
        our_sans.insert(our_sans.end(), c->san.begin(), c->san.end());
        our_serials.push_back(lower(c->serial));
        // Every subject CN we report is a string tshark decoded from the same certificates.
        CHECK(std::find(their_strings.begin(), their_strings.end(), c->subject_cn) != their_strings.end());
    }
    REQUIRE_FALSE(our_serials.empty());
    CHECK(our_sans == their_sans);
    CHECK(our_serials == their_serials);
}
