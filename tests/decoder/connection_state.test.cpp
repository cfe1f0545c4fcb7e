#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>

#include "decoder/flow/connection_state.hpp"
#include "decoder/sip/sip_parser.hpp"
#include "kept_text.hpp"

using namespace decoder;

namespace {

const Endpoint kClient{"10.0.0.1", 40000}, kServer{"10.0.0.2", 5061};

SipMessage request(const std::string& method, std::uint32_t cseq) {
    SipMessage m;
    m.method = test::kept(method);
    m.request_uri = "sip:lync.example";
    m.cseq_number = cseq;
    m.cseq = test::kept(std::to_string(cseq) + " " + method);
    return m;
}

SipMessage response(int status, const std::string& method, std::uint32_t cseq) {
    SipMessage m = request(method, cseq);
    m.is_request = false;
    m.status = status;
    m.reason = status == 200 ? "OK" : "Trying";
    return m;
}

TlsMessage record(std::uint64_t length) {
    TlsMessage m;
    m.type = "application_data";
    m.length = length;
    return m;
}

}  // namespace

TEST_CASE("[conn] unanswered requests keep the order they were sent in", "[conn]") {
    ConnectionState s;
    Micros t = 1'000'000;
    for (std::uint32_t n = 1; n <= 6; ++n) s.observe(Dir::ClientToServer, t++, request("OPTIONS", n));
    s.observe(Dir::ClientToServer, t++, request("INVITE", 7));
    s.observe(Dir::ClientToServer, t++, request("ACK", 7));                 // never waits for an answer
    s.observe(Dir::ClientToServer, t++, request("OPTIONS", 3));             // retransmission: listed once
    s.observe(Dir::ServerToClient, t++, response(200, "OPTIONS", 4));       // answered out of order
    s.observe(Dir::ServerToClient, t++, response(100, "INVITE", 7));        // provisional: still waiting
    s.observe(Dir::ServerToClient, t++, response(200, "OPTIONS", 1));
    s.observe(Dir::ServerToClient, t++, response(200, "INVITE", 99));       // answers nothing we saw
    s.observe(Dir::ServerToClient, t++, response(200, "REGISTER", 2));      // same CSeq, other method
    s.observe(Dir::ClientToServer, t++, request("OPTIONS", 8));
    s.on_fin(Dir::ClientToServer, t + 5000);

    const auto c = s.make_close(CloseHow::CaptureEnd, t + 6000, kClient, kServer);
    CHECK(c.unanswered == std::vector<std::string>{"OPTIONS 2", "OPTIONS 3", "OPTIONS 5", "OPTIONS 6",
                                                   "INVITE 7", "OPTIONS 8"});
    CHECK(c.how == CloseHow::Fin);
    CHECK(c.after == "client OPTIONS sip:lync.example (CSeq 8 OPTIONS)");
    CHECK(c.after_from == Side::Client);
    CHECK(c.ms_since_last_message == 5);
    CHECK(c.client_messages == 10);
    CHECK(c.server_messages == 5);
}

TEST_CASE("[conn] at most 256 requests wait, the first ones, answering frees room", "[conn]") {
    ConnectionState s;
    for (std::uint32_t n = 1; n <= 300; ++n) s.observe(Dir::ClientToServer, n, request("OPTIONS", n));
    auto c = s.make_close(CloseHow::CaptureEnd, 1000, kClient, kServer);
    REQUIRE(c.unanswered.size() == 256);
    CHECK(c.unanswered.front() == "OPTIONS 1");
    CHECK(c.unanswered.back() == "OPTIONS 256");

    s.observe(Dir::ServerToClient, 400, response(200, "OPTIONS", 10));
    s.observe(Dir::ClientToServer, 401, request("OPTIONS", 301));
    c = s.make_close(CloseHow::CaptureEnd, 1000, kClient, kServer);
    REQUIRE(c.unanswered.size() == 256);
    CHECK(c.unanswered[8] == "OPTIONS 9");
    CHECK(c.unanswered[9] == "OPTIONS 11");
    CHECK(c.unanswered.back() == "OPTIONS 301");
}

TEST_CASE("[conn] without SIP the last application data record is named at the close", "[conn]") {
    ConnectionState s;
    s.observe(Dir::ClientToServer, 1'000, record(517));
    s.observe(Dir::ServerToClient, 3'000, record(1234));
    s.on_rst(Dir::ClientToServer, 10'000);
    auto c = s.make_close(CloseHow::CaptureEnd, 20'000, kClient, kServer);
    CHECK(c.how == CloseHow::Rst);
    CHECK(c.after == "server application data record (1234 bytes)");
    CHECK(c.after_from == Side::Server);
    CHECK(c.ms_since_last_message == 7);
    CHECK(c.client_records == 1);
    CHECK(c.server_records == 1);

    // Once a SIP message is seen it is named instead, however many records follow.
    ConnectionState t;
    t.observe(Dir::ServerToClient, 1'000, response(200, "OPTIONS", 1));
    t.observe(Dir::ClientToServer, 2'000, record(40));
    c = t.make_close(CloseHow::Timeout, 5'000, kClient, kServer);
    CHECK(c.how == CloseHow::Timeout);
    CHECK(c.after == "server 200 OK (CSeq 1 OPTIONS)");
}

namespace {

TlsMessage sealed_record(const char* version, std::uint64_t length) {
    TlsMessage m = record(length);
    m.version = version;
    m.encrypted = true;
    return m;
}

TlsAlert encrypted_alert(std::uint64_t length) { return TlsAlert{"unknown", "encrypted", true, length}; }

}  // namespace

TEST_CASE("[conn] TLS 1.2 without keys: an encrypted alert is its sender's first teardown act", "[conn]") {
    // length of the alert record, whether it follows the other side's answer, what is said
    const auto [length, answered, alert] = GENERATE(table<std::uint64_t, bool, std::string>({
        {26, true, "encrypted alert (probably close_notify)"},   // AES-GCM
        {18, true, "encrypted alert (probably close_notify)"},   // ChaCha20-Poly1305
        {48, true, "encrypted alert (probably close_notify)"},   // CBC, MAC inside the blocks
        {52, true, "encrypted alert (probably close_notify)"},   // CBC, encrypt-then-MAC SHA-1
        {64, true, "encrypted alert (probably close_notify)"},   // CBC SHA-256
        {27, true, "encrypted alert"},                           // no cipher makes 27 bytes of one alert
        {300, true, "encrypted alert"},                          // too long for one alert
        {26, false, "encrypted alert"},                          // its own request is still waiting
    }));
    CAPTURE(length, answered);
    ConnectionState s;
    s.observe(Dir::ClientToServer, 1'000, sealed_record("TLS 1.2", 437));
    if (answered) s.observe(Dir::ServerToClient, 2'000, sealed_record("TLS 1.2", 623));
    s.observe(Dir::ClientToServer, 5'000, encrypted_alert(length));
    s.on_fin(Dir::ServerToClient, 6'000);  // the server's FIN answers the alert
    s.on_fin(Dir::ClientToServer, 7'000);
    const auto c = s.make_close(CloseHow::CaptureEnd, 9'000, kClient, kServer);
    CHECK(c.side == Side::Client);
    CHECK(c.how == CloseHow::Alert);
    CHECK(c.alert == alert);
    CHECK(c.after == (answered ? "server application data record (623 bytes)" : "client application data record (437 bytes)"));
    CHECK(c.ms_since_last_message == (answered ? 3 : 4));
}

struct Rec {
    Dir dir;
    std::uint64_t length;
};

ConnClose close_after(const std::vector<Rec>& records, const char* version, Dir first_fin) {
    ConnectionState s;
    Micros t = 0;
    for (const auto& r : records) s.observe(r.dir, t += 1'000, sealed_record(version, r.length));
    s.on_fin(first_fin, t + 1'000);
    return s.make_close(CloseHow::CaptureEnd, t + 5'000, kClient, kServer);
}

TEST_CASE("[conn] TLS 1.3 without keys: a 19-byte record after the answer is the sender's alert", "[conn]") {
    constexpr Dir C = Dir::ClientToServer, S = Dir::ServerToClient;
    // Server flight, client flight, tickets, OPTIONS, 200 OK, then the client's close_notify.
    const std::vector<Rec> healthy{{S, 90}, {S, 1500}, {S, 280}, {S, 74}, {C, 69}, {S, 74}, {S, 74},
                                   {C, 430}, {S, 623}, {C, 19}};
    auto c = close_after(healthy, "TLS 1.3", S);
    CHECK(c.side == Side::Client);
    CHECK(c.how == CloseHow::Alert);
    CHECK(c.alert == "encrypted alert (probably close_notify)");
    CHECK(c.after == "server application data record (623 bytes)");
    CHECK(c.client_records == 2);  // the alert is not counted as a request

    // A server rejecting the client's certificate: its 19-byte alert follows the client's
    // flight, before any answer; it stays a record, and the server's FIN is the close.
    c = close_after({{S, 90}, {S, 1500}, {S, 280}, {S, 74}, {C, 2707}, {C, 281}, {C, 69}, {C, 430}, {S, 19}},
                    "TLS 1.3", S);
    CHECK(c.side == Side::Server);
    CHECK(c.how == CloseHow::Fin);
    CHECK(c.after == "server application data record (19 bytes)");

    // TLS 1.2 records of 19 bytes are data: only TLS 1.3 hides alerts in application_data.
    c = close_after(healthy, "TLS 1.2", S);
    CHECK(c.side == Side::Server);
    CHECK(c.how == CloseHow::Fin);
}

namespace {

// A parsed message owns the text its fields view; the wire buffer is scribbled over and
// the message dropped as soon as it is observed, as the connection does once it is emitted.
void observe_parsed(ConnectionState& s, Dir dir, Micros ts, std::string wire) {
    std::optional<SipMessage> m;
    {
        auto r = parse_sip_message(wire, SipFraming::Datagram);
        REQUIRE(r.status == ParseStatus::Complete);
        REQUIRE(r.value.text);
        m = std::move(r.value);
    }
    std::fill(wire.begin(), wire.end(), 'x');
    s.observe(dir, ts, *m);
    m.reset();
}

}  // namespace

TEST_CASE("[conn] the last message is named at the close from the text it kept", "[conn]") {
    const std::string busy =
        "SIP/2.0 486 Busy Here\r\nCSeq: 5 INVITE\r\nCall-ID: a\r\nContent-Length: 0\r\n\r\n";
    const std::string bye = "BYE sip:u@lync.example SIP/2.0\r\nCSeq: 6 BYE\r\nCall-ID: a\r\nContent-Length: 0\r\n\r\n";

    ConnectionState s;
    observe_parsed(s, Dir::ServerToClient, 1'000, busy);
    auto c = s.make_close(CloseHow::CaptureEnd, 9'000, kClient, kServer);
    CHECK(c.after == "server 486 Busy Here (CSeq 5 INVITE)");
    CHECK(c.after_from == Side::Server);

    // A message that owns no text (its views point elsewhere) replaces it, then a parsed one again.
    s.observe(Dir::ClientToServer, 2'000, request("OPTIONS", 9));
    c = s.make_close(CloseHow::CaptureEnd, 9'000, kClient, kServer);
    CHECK(c.after == "client OPTIONS sip:lync.example (CSeq 9 OPTIONS)");
    observe_parsed(s, Dir::ClientToServer, 3'000, bye);
    s.on_fin(Dir::ClientToServer, 4'000);
    observe_parsed(s, Dir::ServerToClient, 5'000, busy);  // after the close: not what it followed
    c = s.make_close(CloseHow::CaptureEnd, 9'000, kClient, kServer);
    CHECK(c.after == "client BYE sip:u@lync.example (CSeq 6 BYE)");
    CHECK(c.ms_since_last_message == 1);
}
