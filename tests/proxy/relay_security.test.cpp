// What siptap proxy promises about itself: it connects only to --upstream, listens only on the
// --listen address, writes its files with mode 0600 whatever the umask, gives up root with
// --user, and keeps relaying unchanged what exceeds its decoding limits.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "process_support.hpp"
#include "requirement_support.hpp"
#include "siptap_support.hpp"

using namespace proxy_test;
using json = nlohmann::json;

namespace {

const std::string kSource = SIPTAP_SOURCE_DIR;

// A PKI, the asyncio TLS upstream of the fault test (answers 200 OK, logs what it received)
// and helpers to run siptap and a SIP-over-TLS client against it.
struct SecurityRig {
    TempDir dir;
    std::uint16_t upstream_port = free_port();
    std::unique_ptr<Spawned> upstream;

    SecurityRig() {
        make_pki(dir);
        upstream = std::make_unique<Spawned>("exec python3 " + kSource + "/tests/proxy/fault_peers.py upstream --port " +
                                             std::to_string(upstream_port) + " --pki " + dir.path.string() + " --log " +
                                             dir / "upstream.jsonl" + " --lifetime 60 2> " + dir / "upstream_err");
        if (!wait_listening(upstream_port, 10s)) throw std::runtime_error("the test upstream did not start");
    }
    std::string upstream_address() const { return "127.0.0.1:" + std::to_string(upstream_port); }
    std::string certs() const {
        return "--cert " + dir / "siptap.pem" + " --key " + dir / "siptap.key" + " --upstream-cert " + dir / "um.pem" +
               " --upstream-key " + dir / "um.key";
    }
    // Sends `message` over TLS to `address` and returns what the client saw (sip_tls_client.py).
    json send(const std::string& address, const std::string& message) const {
        std::ofstream(dir / "message.sip", std::ios::binary) << message;
        return json::parse(command_output("timeout 20 python3 " + kSource + "/tests/proxy/sip_tls_client.py --connect " +
                                          address + " --cert " + dir / "um.pem" + " --key " + dir / "um.key" +
                                          " --send " + dir / "message.sip" + " --timeout 10"),
                           nullptr, false);
    }
    // What the upstream logged for the connection whose first message had this Call-ID.
    json upstream_saw(const std::string& call_id) const {
        json found = json::object();
        wait_until([&] {
            for (const auto& line : read_events(dir / "upstream.jsonl"))
                if (line.value("tag", "") == call_id) found = line;
            return !found.empty();
        }, 10s);
        return found;
    }
};

bool answered_ok(const json& seen) {
    return seen.is_object() && std::string(seen.value("received", "")).rfind("SIP/2.0 200 OK\r\n", 0) == 0;
}

std::string options(const std::string& call_id, const std::string& extra_headers = "", const std::string& body = "") {
    return "OPTIONS sip:lync01.contoso.com;transport=tls SIP/2.0\r\nVia: SIP/2.0/TLS um01.contoso.com:5061;branch=z9hG4bK1\r\n"
           "From: <sip:um01.contoso.com>;tag=1\r\nTo: <sip:lync01.contoso.com>\r\nCall-ID: " + call_id +
           "\r\nCSeq: 1 OPTIONS\r\n" + extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string sha256_of(const std::string& data, const TempDir& dir) {
    std::ofstream(dir / "sha_input", std::ios::binary) << data;
    return sha256_of_file(dir / "sha_input");
}

}  // namespace

TEST_CASE("[proxy] connects only to --upstream, whatever the SIP names", "[proxy][security][slow]") {
    SecurityRig rig;
    Listener decoy("127.0.0.7");
    const std::string elsewhere = "127.0.0.7:" + std::to_string(decoy.port());
    SiptapProxy relay(rig.dir, rig.upstream_address(), rig.certs());

    const auto seen = rig.send(relay.address(),
                               "INVITE sip:lync01@" + elsewhere + ";transport=tcp SIP/2.0\r\n"
                               "Via: SIP/2.0/TLS " + elsewhere + ";branch=z9hG4bK7\r\nRoute: <sip:" + elsewhere +
                               ";lr;transport=tcp>\r\nRecord-Route: <sip:" + elsewhere + ";lr>\r\nFrom: <sip:um@" +
                               elsewhere + ">;tag=1\r\nTo: <sip:lync01@" + elsewhere + ">\r\nCall-ID: elsewhere-1\r\n"
                               "CSeq: 1 INVITE\r\nContact: <sip:um@" + elsewhere + ";transport=tcp>\r\n"
                               "Content-Length: 0\r\n\r\n");
    CHECK(answered_ok(seen));                                    // it went to the upstream...
    CHECK(rig.upstream_saw("elsewhere-1").value("kind", "") == "elsewhere");
    CHECK(decoy.accepted_within(1500ms) == 0);                   // ...and nowhere else
    CHECK(tcp_connects("127.0.0.7", decoy.port()));              // the decoy would have noticed
    CHECK(decoy.accepted_within(2s) == 1);
}

TEST_CASE("[proxy] listens only on the --listen address", "[proxy][security]") {
    TempDir dir;
    const auto port = free_port();
    Spawned siptap("exec " + std::string(SIPTAP_BINARY) + " proxy --plain --listen 127.0.0.5:" + std::to_string(port) +
                   " --upstream 127.0.0.1:" + std::to_string(free_port()) + " > " + dir / "out" + " 2> " + dir / "err");
    REQUIRE(wait_listening(port, 5s));
    CHECK(tcp_connects("127.0.0.5", port));
    CHECK_FALSE(tcp_connects("127.0.0.6", port));
    CHECK_FALSE(tcp_connects("127.0.0.1", port));
}

TEST_CASE("[proxy] --listen port 0 takes a free port and names it, --upstream needs a real port", "[proxy][security]") {
    TempDir dir;
    SiptapProxy siptap(dir, "127.0.0.1:" + std::to_string(free_port()), "--plain");  // --listen 127.0.0.1:0
    CHECK(siptap.port() != 0);
    CHECK(tcp_connects("127.0.0.1", siptap.port()));
    const auto out = command_output("timeout 10 " + std::string(SIPTAP_BINARY) +
                                    " proxy --plain --listen 127.0.0.1:0 --upstream 127.0.0.1:0 2>&1; echo \"exit $?\"");
    CHECK(out.find("'127.0.0.1:0': port is not 1..65535") != std::string::npos);
    CHECK(out.find("exit 2") != std::string::npos);
}

TEST_CASE("[proxy] key log, pcapng and HTML report are written with mode 0600 whatever the umask",
          "[proxy][security]") {
    SecurityRig rig;
    std::ofstream(rig.dir / "keys.log") << "";
    ::chmod((rig.dir / "keys.log").c_str(), 0666);  // an existing file is narrowed too
    const auto port = free_port();
    const std::string listen = "127.0.0.1:" + std::to_string(port);
    Spawned siptap("umask 000; exec " + std::string(SIPTAP_BINARY) + " proxy --json --listen " + listen + " --upstream " +
                   rig.upstream_address() + " " + rig.certs() + " --keylog " + rig.dir / "keys.log" +
                   " --write-pcap " + rig.dir / "relay.pcapng" + " --html " + rig.dir / "report.html" + " > " +
                   rig.dir / "events" + " 2> " + rig.dir / "err");
    REQUIRE(wait_listening(port, 5s));
    CHECK(answered_ok(rig.send(listen, options("modes-1"))));
    siptap.kill(SIGTERM);
    REQUIRE(siptap.wait_exit(10s));
    for (const char* file : {"keys.log", "relay.pcapng", "report.html"}) {
        CAPTURE(file);
        CHECK(file_size(rig.dir / file) > 0);
        CHECK(file_mode(rig.dir / file) == 0600);
    }
}

TEST_CASE("[proxy] --user drops root after binding and the relay still works", "[proxy][security]") {
    TempDir dir;
    const auto port = free_port();
    auto start = [&](const std::string& user, const std::string& prefix = "") {
        return prefix + std::string(SIPTAP_BINARY) + " proxy --plain --listen 127.0.0.1:" + std::to_string(port) +
               " --upstream 127.0.0.1:" + std::to_string(free_port()) + " --user " + user + " 2>&1";
    };
    SECTION("an unknown account is refused by name") {
        const auto out = command_output("timeout 10 " + start("no-such-account-5061") + "; echo exit=$?");
        CHECK(out.find("--user no-such-account-5061: no such user") != std::string::npos);
        CHECK(out.find("exit=2") != std::string::npos);
    }
    if (::geteuid() != 0) {  // siptap refuses to run rather than pretend to drop privileges
        const auto out = command_output("timeout 10 " + start("nobody") + "; echo exit=$?");
        CHECK(out.find("cannot drop privileges") != std::string::npos);
        CHECK(out.find("exit=2") != std::string::npos);
    }
    test::require_available("root", ::geteuid() == 0, "dropping privileges with --user can be tested only as root");
    SECTION("started as another user, siptap refuses to run rather than keep its privileges") {
        const auto out = command_output("timeout 10 setpriv --reuid=nobody --regid=nogroup --clear-groups " +
                                        start("nobody") + "; echo exit=$?");
        CHECK(out.find("--user nobody: cannot drop privileges: setgroups") != std::string::npos);
        CHECK(out.find("exit=2") != std::string::npos);
    }
    SECTION("as root: the process runs as nobody, with its files opened before") {
        SecurityRig rig;
        const passwd* nobody = ::getpwnam("nobody");
        REQUIRE(nobody);
        const auto listen = "127.0.0.1:" + std::to_string(port);
        Spawned siptap("exec " + std::string(SIPTAP_BINARY) + " proxy --json --listen " + listen + " --upstream " +
                       rig.upstream_address() + " " + rig.certs() + " --keylog " + rig.dir / "keys.log" +
                       " --html " + rig.dir / "report.html" + " --user nobody > " + rig.dir / "events" + " 2> " +
                       rig.dir / "err");
        REQUIRE(wait_listening(port, 5s));
        const pid_t pid = listening_pid(port);
        REQUIRE(pid > 0);
        const auto uid = std::to_string(nobody->pw_uid), gid = std::to_string(nobody->pw_gid);
        CHECK(proc_status(pid, "Uid") == uid + "\t" + uid + "\t" + uid + "\t" + uid);
        CHECK(proc_status(pid, "Gid") == gid + "\t" + gid + "\t" + gid + "\t" + gid);
        CHECK(proc_status(pid, "Groups").find("0 ") == std::string::npos);
        CHECK(answered_ok(rig.send(listen, options("dropped-1"))));
        CHECK(file_size(rig.dir / "keys.log") > 0);  // opened as root, still written
        siptap.kill(SIGTERM);
        REQUIRE(siptap.wait_exit(10s));
        CHECK(file_size(rig.dir / "report.html") > 0);  // likewise, although written at the end
    }
}

TEST_CASE("[proxy] SIP over the decoding limits gives a notice and is relayed unchanged", "[proxy][security][slow]") {
    SecurityRig rig;
    std::string headers;
    for (int i = 0; i < 100; ++i) headers += "X-Hop-" + std::to_string(i) + ": a\r\n";
    const std::string body(100 * 1024, 'b');
    struct Case {
        std::string call_id, message, flags, notice;  // notice empty: decoded as SIP
    };
    const Case cases[] = {
        {"headers-default", options("headers-default", headers), "", "more than 64 SIP headers"},
        {"headers-raised", options("headers-raised", headers), "--max-sip-headers 128", ""},
        {"bytes-default", options("bytes-default", "", body), "", "exceeds the 65536 byte limit"},
        {"bytes-raised", options("bytes-raised", "", body), "--max-sip-bytes 200000", ""},
    };
    for (const auto& c : cases) {  // one upstream for all: its PKI takes a while to make
        CAPTURE(c.call_id, c.flags);
        TempDir events_dir;
        SiptapProxy relay(events_dir, rig.upstream_address(), rig.certs() + " " + c.flags);
        CHECK(answered_ok(rig.send(relay.address(), c.message)));
        CHECK(rig.upstream_saw(c.call_id).value("received_sha", "") == sha256_of(c.message, rig.dir));
        const auto events = relay.wait_closes(2);
        const auto legs = find_legs(events, relay.address(), rig.upstream_address());
        for (const auto leg : {legs.client, legs.upstream}) {
            CAPTURE(leg);
            const auto notices = events_of(events, "notice", leg);
            const auto sips = events_of(events, "sip", leg);
            if (c.notice.empty()) {
                CHECK(notices.empty());
                CHECK(sips.size() == 2);  // the request and the 200 OK
            } else {
                REQUIRE(notices.size() == 1);
                CHECK(std::string(notices[0]["message"]).find(c.notice) != std::string::npos);
                CHECK(sips.size() == 1);  // the response; the request was not decoded
            }
        }
    }
}
