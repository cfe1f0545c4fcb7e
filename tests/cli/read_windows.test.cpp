// What a Windows server hands over, read by `siptap read`: sessions with RSA key exchange
// decrypted with the server's private key (PEM or .pfx) alone, TLS 1.0 and 1.1, a session
// resumed later in the capture, the notice for (EC)DHE, bad key files; and Network Monitor
// .cap files, which must give exactly the events of the capture they were converted from.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

#include "capture_run_support.hpp"
#include "decoder/tls/tls_keylog.hpp"

using namespace decoder;

namespace {

const std::string kPassword = "siptap-test";  // of pcaps/tls-pki/lync01*.pfx (pcaps/README.md)

std::string pki(const std::string& name) { return test::pcap("tls-pki/" + name); }

KeyLog server_key(const std::string& file) {
    KeyLog keys;
    std::ifstream in(pki(file), std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), {});
    REQUIRE_FALSE(keys.rsa_keys().add(std::as_bytes(std::span(data)), file, ""));
    return keys;
}

std::vector<std::string> notices(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const auto* n : test::payloads<Notice>(events)) out.push_back(n->message);
    return out;
}

// siptap with SIPTAP_KEY_PASSWORD set (stdin is /dev/null: never a prompt).
test::RunResult siptap_with_password(const std::string& password, const std::string& args) {
    return test::run_shell("SIPTAP_KEY_PASSWORD='" + password + "' '" + std::string(SIPTAP_BINARY) + "' " + args);
}

std::string temp_dir() {
    const auto dir = std::filesystem::temp_directory_path() / ("siptap-windows-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return dir.string();
}

const std::vector<std::string> kRsaCaptures = {"tls10-rsa-aes128-sha", "tls11-rsa-aes256-sha", "tls12-rsa-resumed",
                                               "tls12-rsa-ticket-resumed"};

}  // namespace

TEST_CASE("[read_windows] the server's RSA key alone decrypts TLS 1.0-1.2 and a resumed session",
          "[read_windows]") {
    const std::string name = GENERATE(from_range(kRsaCaptures));
    CAPTURE(name);
    const KeyLog keys = server_key("lync01.key");
    const auto events = test::read_events({test::pcap(name + ".pcapng")}, {}, &keys);
    CHECK(notices(events).empty());
    const auto sent = test::sent_bytes(name);
    const auto got = test::decrypted_sip(events);
    CHECK(got[0] == sent[0]);
    CHECK(got[1] == sent[1]);
    for (const auto* m : test::payloads<TlsMessage>(events)) CHECK_FALSE(m->encrypted);
    CHECK(keys.rsa_keys().unmatched().empty());
    if (name.find("resumed") != std::string::npos) {  // the second connection has no key exchange
        CHECK(test::payloads<ConnOpen>(events).size() == 2);
        CHECK(test::payloads<SipMessage>(events).size() == 4);
    }
}

TEST_CASE("[read_windows] tshark with the same RSA key agrees on the SIP", "[read_windows]") {
    const std::string name = GENERATE(from_range(kRsaCaptures));
    CAPTURE(name);
    const auto file = test::pcap(name + ".pcapng");
    const auto r = test::run_shell("tshark -r '" + file + "' -o 'uat:rsa_keys:\"" + pki("lync01.key") +
                                   "\",\"\"' -Y sip -T fields -e sip.Method -e sip.Status-Code -e sip.CSeq.seq");
    REQUIRE(r.exit_code == 0);
    const KeyLog keys = server_key("lync01.key");
    const auto events = test::read_events({file}, {}, &keys);
    std::vector<std::string> ours;
    for (const auto* m : test::payloads<SipMessage>(events))
        ours.push_back((m->is_request ? std::string(m->method) + "\t" : "\t" + std::to_string(m->status)) + "\t" +
                       std::to_string(m->cseq_number));
    REQUIRE_FALSE(ours.empty());
    CHECK(ours == test::non_empty_lines(r.out));
}

TEST_CASE("[read_windows] a .pfx with SIPTAP_KEY_PASSWORD, a wrong password names the file", "[read_windows]") {
    const std::string pfx = GENERATE(as<std::string>{}, "lync01.pfx", "lync01-legacy.pfx");
    CAPTURE(pfx);
    const auto args = "read '" + test::pcap("tls10-rsa-aes128-sha.pcapng") + "' --rsa-key '" + pki(pfx) + "' --json";
    const auto good = siptap_with_password(kPassword, args + " 2>&1");
    CHECK(good.exit_code == 0);
    CHECK(good.out.find("\"method\":\"OPTIONS\"") != std::string::npos);
    CHECK(good.out.find("matches none") == std::string::npos);
    const auto bad = siptap_with_password("wrong", args);
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("siptap: " + pki(pfx) + ": wrong password for the PKCS#12 file (SIPTAP_KEY_PASSWORD)") !=
          std::string::npos);
    CHECK(bad.out.find("\"method\":\"OPTIONS\"") == std::string::npos);
}

TEST_CASE("[read_windows] ECDHE gives one notice, a key of another certificate is named", "[read_windows]") {
    const auto ecdhe = test::run_siptap({"read", test::pcap("tls11-ecdhe-aes256-sha.pcapng"), "--rsa-key",
                                         pki("lync01.key"), "--json"});
    const auto out = test::non_empty_lines(ecdhe.out);
    const auto n = std::count_if(out.begin(), out.end(), [](const std::string& l) {
        return l.find("\"event\":\"notice\"") != std::string::npos;
    });
    CHECK(n == 1);
    CHECK(ecdhe.err.find("keys from") == std::string::npos);  // no key log was given
    CHECK(ecdhe.out.find("this session used ECDHE key exchange (TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA): a server's "
                         "RSA key (--rsa-key) cannot decrypt it, a key log (--keylog) or siptap proxy can") !=
          std::string::npos);
    // Each --rsa-key takes one file: the capture after it is still a capture.
    const auto other = test::run_siptap({"read", test::pcap("tls10-rsa-aes128-sha.pcapng"), "--rsa-key",
                                         pki("um-good.key"), test::pcap("tls11-rsa-aes256-sha.pcapng"), "--rsa-key",
                                         pki("lync01.key"), "--json"});
    CHECK(other.err.find("siptap: " + pki("um-good.key") + ": the key matches none of the 2 server certificates") !=
          std::string::npos);
    CHECK(other.err.find(pki("lync01.key") + ": the key matches none") == std::string::npos);
    const auto sip = test::non_empty_lines(other.out);
    CHECK(std::count_if(sip.begin(), sip.end(), [](const std::string& l) {  // both files, the right key of the two
              return l.find("\"event\":\"sip\"") != std::string::npos;
          }) == 4);
    const auto missing = test::run_siptap({"read", test::pcap("tls10-rsa-aes128-sha.pcapng"), "--rsa-key",
                                           pki("no-such.key")});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find(pki("no-such.key") + ": cannot read the key file") != std::string::npos);
}

TEST_CASE("[read_windows] a Network Monitor .cap gives the events of the capture it came from", "[read_windows]") {
    const std::string name = GENERATE(as<std::string>{}, "tls10-rsa-aes128-sha.pcapng", "sip-udp-call.pcap",
                                      "sip-tcp-reorder.pcap", "sip-ipv6.pcapng");
    CAPTURE(name);
    const auto dir = temp_dir();
    // Through a microsecond pcap first: Network Monitor keeps microseconds, the pcapng nanoseconds.
    const auto pcap = dir + "/orig.pcap", cap = dir + "/converted.cap";
    REQUIRE(test::run_shell("editcap -F pcap '" + test::pcap(name) + "' '" + pcap + "'").exit_code == 0);
    REQUIRE(test::run_shell("editcap -F netmon2 '" + pcap + "' '" + cap + "'").exit_code == 0);
    const std::vector<std::string> keys = {"--rsa-key", pki("lync01.key"), "--json"};
    auto args = [&](const std::string& file) {
        std::vector<std::string> a = {"read", file};
        a.insert(a.end(), keys.begin(), keys.end());
        return a;
    };
    const auto original = test::run_siptap(args(pcap));
    const auto netmon = test::run_siptap(args(cap));
    REQUIRE_FALSE(original.out.empty());
    CHECK(netmon.out == original.out);
    CHECK(netmon.exit_code == original.exit_code);
    // Recognised by its content, whatever the name says.
    std::filesystem::copy_file(cap, dir + "/named-like.pcap");
    CHECK(test::run_siptap(args(dir + "/named-like.pcap")).out == original.out);
    std::filesystem::remove_all(dir);
}

TEST_CASE("[read_windows] a truncated .cap: one line naming it, the next file is still read", "[read_windows]") {
    const auto dir = temp_dir();
    const auto cap = dir + "/whole.cap", cut = dir + "/cut.cap";
    REQUIRE(test::run_shell("editcap -F netmon2 '" + test::pcap("sip-udp-call.pcap") + "' '" + cap + "'").exit_code ==
            0);
    std::filesystem::copy_file(cap, cut);
    std::filesystem::resize_file(cut, std::filesystem::file_size(cap) / 2);
    const auto r = test::run_siptap({"read", cut, test::pcap("sip-udp-call.pcap"), "--json"});
    CHECK(r.exit_code == 2);
    const auto errors = test::non_empty_lines(r.err);
    const auto about_cut = std::count_if(errors.begin(), errors.end(), [&](const std::string& l) {
        return l.rfind("siptap: " + cut + ": ", 0) == 0;
    });
    CHECK(about_cut == 1);
    CHECK(r.err.find(cut + ": bad Network Monitor header") != std::string::npos);  // the frame table was at the end
    CHECK(r.out.find("\"method\":\"BYE\"") != std::string::npos);  // from the second file
    // Network Monitor 1.x (magic RTSS) is named as such, not as an unknown format.
    const auto v1 = dir + "/v1.cap";
    REQUIRE(test::run_shell("editcap -F netmon1 '" + test::pcap("sip-udp-call.pcap") + "' '" + v1 + "'").exit_code == 0);
    const auto old_format = test::run_siptap({"read", v1});
    CHECK(old_format.exit_code == 2);
    CHECK(old_format.err.find(v1 + ": cannot read capture: Network Monitor 1.x format") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("[read_windows] without SIPTAP_KEY_PASSWORD, on a terminal siptap asks, without echo", "[read_windows][slow]") {
    // script(1) gives siptap a pseudo-terminal as stdin; the password is typed into it.
    const std::string command = "'" + std::string(SIPTAP_BINARY) + "' read '" +
                                test::pcap("tls10-rsa-aes128-sha.pcapng") + "' --rsa-key '" + pki("lync01.pfx") +
                                "' --json --no-summary";
    const auto typed = [&](const std::string& password) {
        // Typed once siptap has asked (it turns echo off then; the terminal echoes earlier input).
        return test::run_shell("(sleep 3; printf '" + password + "\\n') | env -u SIPTAP_KEY_PASSWORD script -qec \"" +
                               command + "\" /dev/null");
    };
    const auto good = typed(kPassword);
    CHECK(good.out.find("siptap: password for " + pki("lync01.pfx") + ": ") != std::string::npos);
    CHECK(good.out.find(kPassword) == std::string::npos);  // not echoed
    CHECK(good.out.find("\"method\":\"OPTIONS\"") != std::string::npos);
    const auto bad = typed("wrong");
    CHECK(bad.out.find(pki("lync01.pfx") + ": wrong password for the PKCS#12 file") != std::string::npos);
    CHECK(bad.out.find("\"method\":\"OPTIONS\"") == std::string::npos);
}
