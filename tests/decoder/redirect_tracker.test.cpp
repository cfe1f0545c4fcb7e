// The Exchange UM call router's redirect: which 3xx responses name the UM worker, and how the
// connection that follows is linked to it (by IP, SNI, certificate, or port alone), or found
// missing at the end of the run.
#include <catch2/catch.hpp>

#include "kept_text.hpp"
#include "decoder/analysis/redirect_tracker.hpp"

using namespace decoder;

namespace {

const Endpoint kLync{"10.0.0.2", 50000}, kRouter{"10.0.0.3", 5061};

SipMessage redirect_response(const std::string& contact, int status = 302) {
    SipMessage m;
    m.is_request = false;
    m.status = status;
    m.reason = "Moved Temporarily";
    m.method = "INVITE";
    m.cseq_number = 1;
    m.contact = test::kept(contact);
    return m;
}

// A hand-made run: events get increasing seq and ts; conn 1 is the redirected connection.
struct Run {
    RedirectTracker tracker;
    std::vector<RedirectFinding> found;
    std::uint64_t seq = 0;

    void feed(std::uint64_t conn, Endpoint src, Endpoint dst, Payload p) {
        Event e;
        e.seq = ++seq;
        e.ts = static_cast<Micros>(seq) * 1000;
        e.conn = conn;
        e.src = std::move(src);
        e.dst = std::move(dst);
        e.transport = Transport::Tls;
        e.payload = std::move(p);
        tracker.on_event(e, found);
    }
    void redirect(const std::string& contact) {
        feed(1, kLync, kRouter, ConnOpen{true});
        feed(1, kRouter, kLync, redirect_response(contact));
    }
    // A connection `conn` from the Lync host to `worker`, its SNI and server certificate (CN).
    void follow(std::uint64_t conn, const Endpoint& worker, std::optional<std::string> sni, const std::string& cn) {
        const Endpoint from{kLync.ip, static_cast<std::uint16_t>(50000 + conn)};
        feed(conn, from, worker, ConnOpen{true});
        TlsMessage hello;
        hello.type = "client_hello";
        hello.sni = std::move(sni);
        feed(conn, from, worker, hello);
        TlsMessage server_hello;
        server_hello.type = "server_hello";
        feed(conn, worker, from, server_hello);
        Certificate c;
        c.side = Side::Server;
        c.subject_cn = cn;
        c.subject = "CN=" + cn;
        feed(conn, worker, from, c);
        ConnClose close;
        close.how = CloseHow::Fin;
        close.by = from;
        close.side = Side::Client;
        feed(conn, from, worker, close);
    }
};

}  // namespace

TEST_CASE("[redirect] which 3xx responses send the caller to the UM worker", "[redirect]") {
    // Contact, status, sender port, the host:port named (empty: not a UM redirect), transport
    const auto [contact, status, port, expected, transport] =
        GENERATE(table<std::string, int, int, std::string, std::string>({
            {"<sip:+14255550100@exch02.contoso.com:5065;transport=Tls>", 302, 5061, "exch02.contoso.com:5065", "tls"},
            {"<sips:exch02.contoso.com:5067;maddr=x>", 301, 5061, "exch02.contoso.com:5067", ""},
            {"<sip:10.0.0.4:5066;transport=tcp>", 302, 5060, "10.0.0.4:5066", "tcp"},
            {"<sip:user@[2001:db8::4]:5065;transport=Tls>", 302, 5061, "2001:db8::4:5065", "tls"},
            {"<sip:exch02.contoso.com;transport=Tls>", 302, 5061, "", ""},       // no port
            {"<sip:exch02.contoso.com:5061;transport=Tls>", 302, 5061, "", ""},  // not a worker port
            {"<sip:exch02.contoso.com:5065;transport=Tls>", 200, 5061, "", ""},  // not a redirect
            {"<sip:exch02.contoso.com:5065;transport=Tls>", 302, 5070, "", ""},  // not the call router
            {"<sip:exch02.contoso.com:99999>", 302, 5061, "", ""},
            {"garbage", 302, 5061, "", ""},
        }));
    CAPTURE(contact, status, port);
    const auto t = um_redirect_target(redirect_response(contact, status), Endpoint{"10.0.0.3", static_cast<std::uint16_t>(port)});
    REQUIRE(bool(t) == !expected.empty());
    if (!t) return;
    CHECK(t->host + ":" + std::to_string(t->port) == expected);
    CHECK(t->host_is_ip == (expected[0] == '1' || expected[0] == '2'));
    CHECK(t->transport == transport);
}

TEST_CASE("[redirect] the connection that follows is linked and named", "[redirect]") {
    Run run;
    // Contact, where the caller connects, its SNI, the worker's CN, expected linked_by
    const auto [contact, worker_ip, sni, cn, linked_by] =
        GENERATE(table<std::string, std::string, std::optional<std::string>, std::string, std::string>({
            {"<sip:10.0.0.4:5065;transport=Tls>", "10.0.0.4", std::nullopt, "exch02.contoso.com", "ip"},
            {"<sip:exch02.contoso.com:5065;transport=Tls>", "10.0.0.4", "exch02.contoso.com", "exch02.contoso.com", "sni"},
            {"<sip:exch02.contoso.com:5065;transport=Tls>", "10.0.0.4", std::nullopt, "EXCH02.contoso.com", "certificate"},
            {"<sip:exch02.contoso.com:5065;transport=Tls>", "10.0.0.4", std::nullopt, "other.contoso.com", "port"},
        }));
    CAPTURE(contact, linked_by);
    run.redirect(contact);
    run.follow(2, Endpoint{worker_ip, 5065}, sni, cn);
    REQUIRE(run.found.size() == 1);
    const auto& f = run.found.front();
    CHECK(f.conn == 1);
    CHECK(f.draft.code == "um-redirect");
    CHECK(f.draft.severity == Severity::Info);
    REQUIRE(f.draft.redirect);
    CHECK(f.draft.redirect->conn == 2u);
    CHECK(f.draft.redirect->linked_by == linked_by);
    CHECK(f.draft.redirect->server_certificate == "CN=" + cn);
    CHECK(f.draft.redirect->transport == "tls");
    CHECK_THAT(f.draft.message, Catch::Contains("10.0.0.3:5061 (the UM call router) answered 302 Moved Temporarily to "
                                                "INVITE (CSeq 1)"));
    CHECK_THAT(f.draft.message, Catch::Contains("Connection #2 followed (linked by "));
    CHECK_THAT(f.draft.message, Catch::Contains("teardown: "));
    CHECK((linked_by == "port") == (f.draft.message.find("its certificate does not name") != std::string::npos));
    CHECK(f.evidence.size() == 4);  // the 302, the open, the server certificate, the close
    run.tracker.on_end(run.found);
    CHECK(run.found.size() == 1);  // judged once
}

TEST_CASE("[redirect] connections that are not the worker's are not linked", "[redirect]") {
    Run run;
    run.redirect("<sip:exch02.contoso.com:5065;transport=Tls>");
    run.follow(2, Endpoint{"10.0.0.4", 5067}, std::nullopt, "exch02.contoso.com");  // another port
    run.follow(3, Endpoint{"10.0.0.5", 5065}, "exch03.contoso.com", "exch03.contoso.com");  // SNI names another host
    CHECK(run.found.empty());
    run.tracker.on_end(run.found);
    REQUIRE(run.found.size() == 1);
    const auto& f = run.found.front();
    CHECK(f.draft.code == "um-redirect-not-followed");
    CHECK(f.draft.severity == Severity::Error);
    CHECK_FALSE(f.draft.redirect->conn);
    CHECK_THAT(f.draft.message, Catch::Contains("No connection to exch02.contoso.com:5065 was established in this capture"));
    CHECK_THAT(f.draft.message, Catch::Contains("a firewall between them blocking TCP 5065"));
    CHECK_THAT(f.draft.message, Catch::Contains("the name exch02.contoso.com not resolving in DNS"));
}

TEST_CASE("[redirect] a refused attempt is not a connection to the worker", "[redirect]") {
    Run run;
    run.redirect("<sip:10.0.0.4:5065;transport=Tls>");
    const Endpoint from{kLync.ip, 50002}, worker{"10.0.0.4", 5065};
    run.feed(2, from, worker, ConnOpen{true});
    ConnClose reset;
    reset.how = CloseHow::Rst;
    reset.by = worker;
    reset.side = Side::Server;
    run.feed(2, from, worker, reset);
    REQUIRE(run.found.size() == 1);
    const auto& f = run.found.front();
    CHECK(f.draft.code == "um-redirect-not-followed");
    CHECK(f.draft.redirect->conn == 2u);
    CHECK_THAT(f.draft.message, Catch::Contains("The UM worker never answered it"));
    CHECK_THAT(f.draft.message, Catch::Contains("blocking TCP 5065"));
    CHECK(f.draft.message.find("DNS") == std::string::npos);  // the Contact named an address
}
