#include <catch2/catch.hpp>

#include "decoder/sip/sip_stream.hpp"

using namespace decoder;

namespace {

std::span<const std::byte> bytes(std::string_view s) {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// A compact textual form of payloads so the three feeding strategies can be compared.
std::vector<std::string> render(const std::vector<Payload>& out) {
    std::vector<std::string> lines;
    for (const auto& p : out) {
        if (const auto* m = std::get_if<SipMessage>(&p)) lines.push_back("sip " + m->summary() + " " + std::to_string(m->bytes));
        else lines.push_back("notice " + std::get<Notice>(p).what + " " + std::get<Notice>(p).message);
    }
    return lines;
}

std::vector<std::string> feed_in_pieces(std::string_view stream, std::size_t piece) {
    SipStream s;
    std::vector<Payload> out;
    for (std::size_t i = 0; i < stream.size(); i += piece) s.feed(bytes(stream.substr(i, piece)), out);
    s.finish(out);
    return render(out);
}

const std::string kDialog =
    "INVITE sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/TCP a;branch=z9hG4bK1\r\nCall-ID: c1\r\n"
    "CSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: 14\r\n\r\nv=0\r\no=- 1 1\r\n"
    "\r\n\r\n"  // a CRLF keep-alive between messages
    "SIP/2.0 100 Trying\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n"
    "SIP/2.0 200 OK\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";

}  // namespace

TEST_CASE("[sip] stream framing at once, per byte and at every split point", "[sip]") {
    const auto at_once = feed_in_pieces(kDialog, kDialog.size());
    REQUIRE(at_once == std::vector<std::string>{
                           "sip INVITE sip:bob@b.example (CSeq 1 INVITE) 166",
                           "sip 100 Trying (CSeq 1 INVITE) 57",
                           "sip 200 OK (CSeq 1 INVITE) 66",
                       });
    CHECK(feed_in_pieces(kDialog, 1) == at_once);
    const auto split = GENERATE(range<std::size_t>(1, 293));
    CAPTURE(split);
    SipStream s;
    std::vector<Payload> out;
    const std::string_view v(kDialog);
    s.feed(bytes(v.substr(0, std::min(split, v.size()))), out);
    if (split < v.size()) s.feed(bytes(v.substr(split)), out);
    s.finish(out);
    CHECK(render(out) == at_once);
}

TEST_CASE("[sip] stream errors stop the direction with one notice", "[sip]") {
    SECTION("not SIP") {
        CHECK(feed_in_pieces("hello there, not sip\r\n\r\n", 3) ==
              std::vector<std::string>{"notice sip-error not a SIP message (starts with byte 0x68 'h')"});
        CHECK(feed_in_pieces("\x16\x03\x01\x02\x00", 1) ==
              std::vector<std::string>{"notice sip-error not a SIP message (starts with byte 0x16 )"});
    }
    SECTION("a message cut by the end of the stream") {
        CHECK(feed_in_pieces("OPTIONS sip:x SIP/2.0\r\nContent-Length: 5\r\n\r\nab", 1) ==
              std::vector<std::string>{"notice sip-error stream ended inside a SIP message (46 bytes unfinished)"});
    }
    SECTION("oversized header section") {
        SipStream s;
        std::vector<Payload> out;
        const std::string big = "OPTIONS sip:x SIP/2.0\r\nX: " + std::string(70000, 'a');
        for (std::size_t i = 0; i < big.size(); i += 1000) s.feed(bytes(std::string_view(big).substr(i, 1000)), out);
        REQUIRE(out.size() == 1);
        CHECK(std::get<Notice>(out[0]).message == "SIP header section exceeds 65536 bytes");
        CHECK(s.stopped());
        CHECK(s.buffered() == 0);
        s.feed(bytes("OPTIONS sip:x SIP/2.0\r\n\r\n"), out);
        CHECK(out.size() == 1);
    }
    SECTION("a gap") {
        SipStream s;
        std::vector<Payload> out;
        s.feed(bytes("OPTIONS sip:x SIP/2.0\r\n"), out);
        s.gap(out);
        REQUIRE(out.size() == 1);
        CHECK(std::get<Notice>(out[0]).message ==
              "SIP decoding of this direction stops at the gap; 23 bytes of an unfinished message are lost");
        s.feed(bytes("OPTIONS sip:x SIP/2.0\r\n\r\n"), out);
        CHECK(out.size() == 1);
        SipStream clean;
        clean.gap(out);  // nothing buffered: the connection's own gap notice says it all
        CHECK(out.size() == 1);
        CHECK(clean.stopped());
    }
}
