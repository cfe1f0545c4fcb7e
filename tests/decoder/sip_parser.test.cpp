#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <optional>

#include "decoder/sip/sip_headers.hpp"
#include "decoder/sip/sip_parser.hpp"

using namespace decoder;

namespace {

const std::string kOptions =
    "OPTIONS sip:lync01.contoso.com:5061;transport=tls SIP/2.0\r\n"
    "FROM: <sip:exch01.contoso.com>;epid=1;tag=8a7b\r\n"
    "TO: <sip:lync01.contoso.com>\r\n"
    "CSEQ: 1 OPTIONS\r\n"
    "CALL-ID: 3f1e8c2a-um\r\n"
    "MAX-FORWARDS: 70\r\n"
    "VIA: SIP/2.0/TLS 10.0.0.2:50123;branch=z9hG4bKa1\r\n"
    "CONTACT: <sip:exch01.contoso.com:5061;transport=Tls;maddr=exch01.contoso.com>\r\n"
    "USER-AGENT: RTCC/4.0.0.0 MSExchangeUM/14.0\r\n"
    "CONTENT-LENGTH: 0\r\n"
    "\r\n";

const std::string k504 =
    "SIP/2.0 504 Server Time-out\r\n"
    "v: SIP/2.0/TLS 10.0.0.2:50123;branch=z9hG4bKa1, SIP/2.0/TLS 10.0.0.9;branch=z9hG4bKb2\r\n"
    "f: <sip:exch01.contoso.com>;tag=8a7b\r\n"
    "t: <sip:lync01.contoso.com>;tag=99\r\n"
    "i: 3f1e8c2a-um\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "ms-diagnostics: 1010;reason=\"Certificate trust with another server could not be established\";"
    "source=\"lync01.contoso.com\";msexchHRESULT=\"0x800B010F(CERT_E_CN_NO_MATCH)\"\r\n"
    "Server: RTC/6.0\r\n"
    "l: 0\r\n"
    "\r\n";

}  // namespace

TEST_CASE("[sip] request with UCMA-style capital header names", "[sip]") {
    const auto r = parse_sip_message(kOptions, SipFraming::Stream);
    REQUIRE(r.status == ParseStatus::Complete);
    CHECK(r.consumed == kOptions.size());
    const auto& m = r.value;
    CHECK(m.is_request);
    CHECK(m.method == "OPTIONS");
    CHECK(m.request_uri == "sip:lync01.contoso.com:5061;transport=tls");
    CHECK(m.call_id == "3f1e8c2a-um");
    CHECK(m.cseq == "1 OPTIONS");
    CHECK(m.cseq_number == 1);
    CHECK(m.from == "<sip:exch01.contoso.com>;epid=1;tag=8a7b");
    CHECK(m.via == std::vector<SipText>{"SIP/2.0/TLS 10.0.0.2:50123;branch=z9hG4bKa1"});
    CHECK(m.user_agent == "RTCC/4.0.0.0 MSExchangeUM/14.0");
    CHECK(m.content_length == 0u);
    CHECK(m.bytes == kOptions.size());
    CHECK(m.summary() == "OPTIONS sip:lync01.contoso.com:5061;transport=tls (CSeq 1 OPTIONS)");
}

TEST_CASE("[sip] response with compact headers, Via list and ms-diagnostics", "[sip]") {
    const auto r = parse_sip_message(k504, SipFraming::Stream);
    REQUIRE(r.status == ParseStatus::Complete);
    const auto& m = r.value;
    CHECK_FALSE(m.is_request);
    CHECK(m.status == 504);
    CHECK(m.reason == "Server Time-out");
    CHECK(m.method == "OPTIONS");
    CHECK(m.via.size() == 2);
    CHECK(m.call_id == "3f1e8c2a-um");
    CHECK(m.to == "<sip:lync01.contoso.com>;tag=99");
    CHECK(m.server == "RTC/6.0");
    REQUIRE(m.ms_diagnostics);
    CHECK(m.ms_diagnostics->code == 1010);
    CHECK(m.ms_diagnostics->reason == "Certificate trust with another server could not be established");
    REQUIRE(m.ms_diagnostics->params.size() == 2);
    CHECK(m.ms_diagnostics->params[0] == std::pair<std::string, std::string>{"source", "lync01.contoso.com"});
    CHECK(m.ms_diagnostics->params[1].second == "0x800B010F(CERT_E_CN_NO_MATCH)");
}

TEST_CASE("[sip] folded lines, repeated headers and the body", "[sip]") {
    const std::string msg =
        "INVITE sip:bob@example.com SIP/2.0\r\n"
        "Via: SIP/2.0/TCP a.example.com;branch=z9hG4bK1\r\n"
        "Via: SIP/2.0/TCP b.example.com;branch=z9hG4bK2\r\n"
        "Subject: a subject\r\n"
        "  folded over\r\n"
        "\tthree lines\r\n"
        "Call-ID: folded@x\r\n"
        "CSeq: 7 INVITE\r\n"
        "Content-Length: 4\r\n"
        "\r\n"
        "v=0\nEXTRA";
    const auto r = parse_sip_message(msg, SipFraming::Stream);
    REQUIRE(r.status == ParseStatus::Complete);
    CHECK(r.consumed == msg.size() - 5);
    CHECK(r.value.via.size() == 2);
    CHECK(r.value.raw.ends_with("\r\n\r\nv=0\n"));
    CHECK(r.value.cseq_number == 7);
}

TEST_CASE("[sip] kept header values are unfolded and trimmed, folded or not", "[sip]") {
    const std::string msg =
        "SIP/2.0 200 OK\r\n"
        "From:   <sip:um01.contoso.com>\r\n"
        "  ;tag=1  \r\n"
        "Via: SIP/2.0/TLS a.example.com;branch=z9hG4bK1,\r\n"
        "\t SIP/2.0/TLS b.example.com;branch=z9hG4bK2 , \r\n"
        "To: <sip:lync>\r;tag=2\r\n"  // a bare CR inside a line counts as a line break
        "CSeq:\r\n 12\r\n  OPTIONS\r\n"
        "Content-Length:\r\n 0\r\n"
        "\r\n";
    const auto r = parse_sip_message(msg, SipFraming::Stream);
    REQUIRE(r.status == ParseStatus::Complete);
    CHECK(r.value.from == "<sip:um01.contoso.com> ;tag=1");
    CHECK(r.value.via == std::vector<SipText>{"SIP/2.0/TLS a.example.com;branch=z9hG4bK1",
                                                  "SIP/2.0/TLS b.example.com;branch=z9hG4bK2"});
    CHECK(r.value.to == "<sip:lync> ;tag=2");
    CHECK(r.value.cseq == "12 OPTIONS");
    CHECK(r.value.cseq_number == 12);
    CHECK(r.value.method == "OPTIONS");
    CHECK(r.value.content_length == 0u);
}

TEST_CASE("[sip] a parsed message owns its text: the input may go, copies share it", "[sip]") {
    // The fields are views (SipText); they must view the message's own copy, never the input,
    // and the unfolded values must survive with it.
    std::string input = kOptions.substr(0, kOptions.size() - 2) + "Server: folded\r\n  name\r\n\r\n";
    auto r = parse_sip_message(input, SipFraming::Stream);
    REQUIRE(r.status == ParseStatus::Complete);
    std::fill(input.begin(), input.end(), 'x');
    input = std::string(input.size() * 4, 'y');  // and the old buffer freed
    std::optional<SipMessage> original = std::move(r.value);
    const SipMessage copy = *original;
    original.reset();
    CHECK(copy.method == "OPTIONS");
    CHECK(copy.request_uri == "sip:lync01.contoso.com:5061;transport=tls");
    CHECK(copy.call_id == "3f1e8c2a-um");
    CHECK(copy.from == "<sip:exch01.contoso.com>;epid=1;tag=8a7b");
    CHECK(copy.via == std::vector<SipText>{"SIP/2.0/TLS 10.0.0.2:50123;branch=z9hG4bKa1"});
    CHECK(copy.server == "folded name");
    CHECK(copy.raw.substr(0, 8) == "OPTIONS ");
    CHECK(copy.raw.size() == copy.bytes);
    REQUIRE(copy.text);
    const auto inside = [&](std::string_view v) {
        return std::less_equal<const char*>{}(copy.text.get(), v.data()) &&
               std::less_equal<const char*>{}(v.data() + v.size(), copy.text.get() + copy.bytes + 64);
    };
    for (const auto v : {copy.method, copy.call_id, copy.from, copy.server, copy.via.front(), copy.raw})
        CHECK(inside(v));
}

TEST_CASE("[sip] datagram framing takes the rest when Content-Length is missing", "[sip]") {
    const std::string msg = "MESSAGE sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 MESSAGE\r\n\r\nhello";
    const auto r = parse_sip_message(msg, SipFraming::Datagram);
    REQUIRE(r.status == ParseStatus::Complete);
    CHECK(r.value.bytes == msg.size());
    CHECK_FALSE(r.value.content_length);
    const auto s = parse_sip_message(msg, SipFraming::Stream);
    REQUIRE(s.status == ParseStatus::Complete);
    CHECK(s.consumed == msg.size() - 5);
}

TEST_CASE("[sip] incomplete input asks for more", "[sip]") {
    for (std::size_t n = 0; n < kOptions.size(); ++n) {
        CAPTURE(n);
        CHECK(parse_sip_message(std::string_view(kOptions).substr(0, n), SipFraming::Stream).status ==
              ParseStatus::Incomplete);
    }
    const std::string with_body = "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 10\r\n\r\nabc";
    CHECK(parse_sip_message(with_body, SipFraming::Stream).status == ParseStatus::Incomplete);
    CHECK(parse_sip_message(with_body, SipFraming::Datagram).status == ParseStatus::Error);
}

TEST_CASE("[sip] malformed input gives an error naming the problem", "[sip]") {
    using Row = std::tuple<std::string, std::string>;
    auto [input, expected] = GENERATE(table<std::string, std::string>({
        Row{"GARBAGE\r\n\r\n", "malformed SIP start line"},
        Row{"OPTIONS sip:x HTTP/1.1\r\n\r\n", "malformed SIP request line"},
        Row{"SIP/2.0 99 Odd\r\n\r\n", "bad SIP status code '99'"},
        Row{"SIP/2.0 abc Odd\r\n\r\n", "bad SIP status code 'abc'"},
        Row{"SIP/2.0 099 Odd\r\n\r\n", "bad SIP status code '099'"},
        Row{"SIP/2.0 2a0 Odd\r\n\r\n", "bad SIP status code '2a0'"},
        Row{"SIP/2.0 +20 Odd\r\n\r\n", "bad SIP status code '+20'"},
        Row{"SIP/2.0 2000 Odd\r\n\r\n", "bad SIP status code '2000'"},
        Row{"SIP/2.0 700\r\n\r\n", "bad SIP status code '700'"},
        Row{"SIP/2.0  200 Odd\r\n\r\n", "bad SIP status code ''"},
        Row{"SUBSCRIBE sip:x  SIP/2.0\r\n\r\n", "malformed SIP request line"},
        Row{"OPTIONS sip:x SIP/2.0\r\nNoColonHere\r\n\r\n", "malformed SIP header line 'NoColonHere'"},
        Row{"OPTIONS sip:x SIP/2.0\r\n folded first\r\n\r\n", "SIP header continuation before any header"},
        Row{"OPTIONS sip:x SIP/2.0\r\nContent-Length: -4\r\n\r\n", "bad Content-Length '-4'"},
        // The first bad Content-Length is named; a malformed line anywhere is the more basic fault.
        Row{"OPTIONS sip:x SIP/2.0\r\nl: x1\r\nContent-Length: 3\r\nl: x2\r\n\r\n", "bad Content-Length 'x1'"},
        Row{"OPTIONS sip:x SIP/2.0\r\nl: x1\r\nNoColonHere\r\n\r\n", "malformed SIP header line 'NoColonHere'"},
        Row{"OPTIONS sip:x SIP/2.0\r\nContent-Length:\r\n -4\r\n\r\n", "bad Content-Length '-4'"},
        Row{"OPTIONS sip:x SIP/2.0\r\nContent-Length: 999999\r\n\r\n",
            "SIP message of 1000048 bytes exceeds the 65536 byte limit"},
    }));
    CAPTURE(input);
    const auto r = parse_sip_message(input, SipFraming::Stream);
    REQUIRE(r.status == ParseStatus::Error);
    CHECK(r.error == expected);
}

TEST_CASE("[sip] limits on header count and header size", "[sip]") {
    std::string many = "OPTIONS sip:x SIP/2.0\r\n";
    for (int i = 0; i < 65; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
    many += "\r\n";
    auto r = parse_sip_message(many, SipFraming::Stream);
    REQUIRE(r.status == ParseStatus::Error);
    CHECK(r.error == "more than 64 SIP headers");
    r = parse_sip_message(many, SipFraming::Stream, SipLimits{64 * 1024, 100});
    CHECK(r.status == ParseStatus::Complete);

    const std::string endless = "OPTIONS sip:x SIP/2.0\r\nX: " + std::string(70 * 1024, 'a');
    r = parse_sip_message(endless, SipFraming::Stream);
    REQUIRE(r.status == ParseStatus::Error);
    CHECK(r.error == "SIP header section exceeds 65536 bytes");
}

TEST_CASE("[sip] first bytes tell SIP from other protocols", "[sip]") {
    CHECK(looks_like_sip("OPTIONS sip:x") == SipGuess::Yes);
    CHECK(looks_like_sip("SIP/2.0 200 OK") == SipGuess::Yes);
    CHECK(looks_like_sip("\r\n\r\nBYE sip:x") == SipGuess::Yes);
    CHECK(looks_like_sip("SIP/2") == SipGuess::NeedMore);
    CHECK(looks_like_sip("SIP/2.1 200 OK") == SipGuess::No);
    CHECK(looks_like_sip("SIP/2.0/TCP x") == SipGuess::No);
    CHECK(looks_like_sip("SIP/X sip:x") == SipGuess::Yes);  // "SIP/" then capitals: a method's letters
    CHECK(looks_like_sip("SIPS sip:x") == SipGuess::Yes);
    CHECK(looks_like_sip("S1P/2.0 200") == SipGuess::No);
    CHECK(looks_like_sip("INV") == SipGuess::NeedMore);
    CHECK(looks_like_sip("GET /index.html") == SipGuess::Yes);  // HTTP is caught by the start line check
    CHECK(looks_like_sip("\x16\x03\x01") == SipGuess::No);
    CHECK(looks_like_sip("hello world") == SipGuess::No);
    CHECK(looks_like_sip(std::string(40, 'A')) == SipGuess::No);
}

TEST_CASE("[sip] header helpers", "[sip]") {
    CHECK(canonical_header_name("v") == "via");
    CHECK(canonical_header_name("I") == "call-id");
    CHECK(canonical_header_name("Call-ID") == "call-id");
    CHECK(split_header_list("<sip:a,b>;x=\"1,2\", b") == std::vector<std::string>{"<sip:a,b>;x=\"1,2\"", "b"});
    CHECK_FALSE(parse_ms_diagnostics("abc;reason=\"x\""));
    const auto d = parse_ms_diagnostics("1018;reason=\"a \\\"quoted\\\" word\"");
    REQUIRE(d);
    CHECK(d->code == 1018);
    CHECK(d->reason == "a \"quoted\" word");
}

// Header names are matched a word at a time with the letters' case folded: any mix of case is
// the header, and a name that differs in a byte that is not a letter is another header.
TEST_CASE("[sip] header names: letters in any case, other bytes exactly", "[sip]") {
    const std::string msg =
        "OPTIONS sip:a.example SIP/2.0\r\n"
        "cALL-iD: right\r\n"
        "Call_ID: wrong\r\n"
        "User-AgenT: right\r\n"
        "User\x0d" "Agent: wrong\r\n"
        "sErVeR: right\r\n"
        "Serveq: wrong\r\n"
        "Ms-Diagnostics: 1046;reason=\"right\"\r\n"
        "CONTENT-LENGTH: 0\r\n"
        "Content_Length: 99\r\n"
        "Fro\x0d: <sip:wrong>\r\n"
        "fRoM: <sip:f>\r\n"
        "\r\n";
    const auto r = parse_sip_message(msg, SipFraming::Stream);
    REQUIRE(r.status == ParseStatus::Complete);
    const auto& m = r.value;
    CHECK(m.call_id == "right");
    CHECK(m.user_agent == "right");
    CHECK(m.server == "right");
    REQUIRE(m.ms_diagnostics);
    CHECK(m.ms_diagnostics->reason == "right");
    CHECK(m.content_length == 0u);
    CHECK(m.from == "<sip:f>");
}

// The parser cuts lines and finds a name's colon and a value's lone CR with pointer
// arithmetic and memchr: every position of either byte, in lines of every length around 8
// and 16 bytes (where word and vector scans change paths), must be found as a byte-by-byte
// reading would find it.
TEST_CASE("[sip] colons and lone CRs at every position of a line", "[sip]") {
    const std::string start = "OPTIONS sip:x SIP/2.0\r\n";
    SECTION("spaces and tabs between a name and its colon") {
        for (std::size_t pad = 0; pad <= 18; ++pad) {
            std::string padding;
            for (std::size_t i = 0; i < pad; ++i) padding += i % 2 ? '\t' : ' ';
            const auto msg = start + "Call-ID" + padding + ":v\r\nCSeq" + padding + ": 3 OPTIONS\n\r\n";
            CAPTURE(pad);
            const auto r = parse_sip_message(msg, SipFraming::Stream);
            REQUIRE(r.status == ParseStatus::Complete);
            CHECK(r.value.call_id == "v");
            CHECK(r.value.cseq_number == 3);
        }
    }
    SECTION("a line without a colon, or with one first, is malformed at every length") {
        for (std::size_t n = 1; n <= 20; ++n) {
            const std::string line(n, 'N');
            CAPTURE(n);
            auto r = parse_sip_message(start + line + "\r\n\r\n", SipFraming::Stream);
            REQUIRE(r.status == ParseStatus::Error);
            CHECK(r.error == "malformed SIP header line '" + line + "'");
            r = parse_sip_message(start + ":" + line + "\r\n\r\n", SipFraming::Stream);
            REQUIRE(r.status == ParseStatus::Error);
            CHECK(r.error == "malformed SIP header line ':" + line + "'");
        }
    }
    SECTION("a lone CR anywhere in a kept value counts as a line break") {
        for (std::size_t n = 1; n <= 24; ++n) {
            for (std::size_t at = 0; at <= n; ++at) {
                const std::string left(at, 'a'), right(n - at, 'b');
                // The CR is the value's at-th byte: after the colon, before the line's own CRLF.
                const auto msg = start + "Call-ID:" + left + "\r" + right + "\r\n\r\n";
                CAPTURE(n, at);
                const auto r = parse_sip_message(msg, SipFraming::Stream);
                REQUIRE(r.status == ParseStatus::Complete);
                CHECK(r.value.call_id == left + (left.empty() || right.empty() ? "" : " ") + right);
            }
            const std::string plain(n, 'c');
            const auto r = parse_sip_message(start + "Call-ID:" + plain + "\r\n\r\n", SipFraming::Stream);
            REQUIRE(r.status == ParseStatus::Complete);
            CHECK(r.value.call_id == plain);
        }
    }
}

// Start lines with tokens shorter and longer than 8 bytes, and status codes on and off the
// three-digit path that skips from_chars.
TEST_CASE("[sip] start lines with tokens shorter and longer than a word", "[sip]") {
    using Row = std::tuple<std::string, bool, std::string, std::string, int>;
    auto [line, request, method, uri_or_reason, status] = GENERATE(table<std::string, bool, std::string, std::string, int>({
        Row{"SIP/2.0 100 Trying", false, "", "Trying", 100},
        Row{"SIP/2.0 699", false, "", "", 699},
        Row{"SIP/2.0 0200 Leading zero", false, "", "Leading zero", 200},
        Row{"SUBSCRIBE sip:a@b SIP/2.0", true, "SUBSCRIBE", "sip:a@b", 0},
        Row{"X-A-LONG-METHOD-NAME sip:a@b;x=y SIP/2.0", true, "X-A-LONG-METHOD-NAME", "sip:a@b;x=y", 0},
        Row{"ACK * SIP/2.0", true, "ACK", "*", 0},
    }));
    CAPTURE(line);
    const auto r = parse_sip_message(line + "\r\nCSeq: 1 ACK\r\n\r\n", SipFraming::Stream);
    REQUIRE(r.status == ParseStatus::Complete);
    CHECK(r.value.is_request == request);
    CHECK(r.value.status == status);
    if (request) {
        CHECK(r.value.method == method);
        CHECK(r.value.request_uri == uri_or_reason);
    } else {
        CHECK(r.value.reason == uri_or_reason);
    }
}
