#include <catch2/catch.hpp>

#include "decoder/connection_state.hpp"

using namespace decoder;

namespace {

const Endpoint kClient{"10.0.0.1", 40000}, kServer{"10.0.0.2", 5061};

SipMessage request(const std::string& method, std::uint32_t cseq) {
    SipMessage m;
    m.method = method;
    m.request_uri = "sip:lync.example";
    m.cseq_number = cseq;
    m.cseq = std::to_string(cseq) + " " + method;
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

TEST_CASE("[conn] at most 256 requests wait, the first ones; answering frees room", "[conn]") {
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
