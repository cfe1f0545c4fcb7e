// Labels that try to break a diagram (quotes, ';', '#', angle brackets, CR LF, markup of
// both syntaxes, a stray byte) and a connection whose events carry them; shared by the
// writers' unit tests and the PlantUML render test.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "decoder/model/events.hpp"
#include "decoder/sinks/ladder_sink.hpp"

namespace markup_fixture {

// What a label must read as after the round trip: controls become spaces, a byte that is not
// UTF-8 becomes U+FFFD.
inline std::string expected_text(const std::string& in) {
    std::string out;
    for (char c : in) {
        if (c == '\xff') out += "\xEF\xBF\xBD";
        else out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    }
    return out;
}

inline const std::vector<std::string> kAwkward = {
    "Server Time-out; retry later",                      // ';' ends a Mermaid statement
    "#1 \"quoted\" <sip:um01@contoso.com>",              // '#', quotes, angle brackets
    "Busy\r\nHere",                                      // CR LF inside a reason phrase
    "a1b2;c3@host.example.com",                          // Call-ID shape
    "*.contoso.com",                                     // wildcard CN
    "%%{init: {\"theme\": \"dark\"}}%%",                 // Mermaid directive
    "``` end of fence",                                  // would close the Markdown fence
    "C:\\new\\path $1 \\n",                              // PlantUML backslash escapes, '$'
    "**bold** //it// --strike-- __u__ ~~w~~ [[http://127.0.0.1/]] <img:http://127.0.0.1/x.png>",
    "&lt; &amp; &#35; ~<",                                // entities and escapes already in the text
    "Grüße 日本 \xff end",                                // UTF-8 kept, a stray byte replaced
    "note: left of: over: -x ->> -->",                    // grammar words inside a label
};

inline decoder::Event event(std::uint64_t seq, decoder::Payload p, bool from_client) {
    decoder::Event e;
    e.seq = seq;
    e.ts = 1'700'000'000'000'000 + static_cast<decoder::Micros>(seq) * 1000;
    e.conn = 7;
    e.transport = decoder::Transport::Tls;
    const decoder::Endpoint client{"10.0.0.2", 50341}, server{"2001:db8::3", 5061};
    e.src = from_client ? client : server;
    e.dst = from_client ? server : client;
    e.payload = std::move(p);
    return e;
}

// A connection whose labels carry the awkward strings: SIP responses with them as reason
// phrases, a certificate with one as CN, findings with them in the message; closed by an RST
// with a finding that arrives after the close.
inline std::vector<decoder::Event> awkward_events() {
    std::vector<decoder::Event> events;
    std::uint64_t seq = 1;
    events.push_back(event(seq++, decoder::ConnOpen{true}, true));
    decoder::Certificate cert;
    cert.side = decoder::Side::Client;
    cert.subject_cn = "um01.contoso.com\"; #x <b>";
    events.push_back(event(seq++, cert, true));
    for (const auto& label : kAwkward) {
        decoder::SipMessage req;
        req.method = "OPTIONS";
        req.cseq_number = static_cast<std::uint32_t>(seq);
        events.push_back(event(seq++, req, true));
        decoder::SipMessage resp = req;
        resp.is_request = false;
        resp.status = 480;
        resp.reason = std::string_view(label);  // kAwkward outlives the events
        events.push_back(event(seq++, resp, false));
    }
    decoder::ConnClose close;
    close.by = decoder::Endpoint{"2001:db8::3", 5061};
    close.side = decoder::Side::Server;
    close.how = decoder::CloseHow::Rst;
    events.push_back(event(seq++, close, true));
    for (const auto& label : kAwkward)
        events.push_back(event(seq++, decoder::Finding{decoder::Severity::Warning, "sip-error-response", "reason " + label, {}}, true));
    return events;
}

// The events through a LadderSink writing `format`, as the CLI does.
inline std::string render(decoder::LadderFormat format, const std::vector<decoder::Event>& events) {
    std::ostringstream out;
    decoder::LadderSink sink(out, decoder::LadderStyle{100, false, format});
    for (const auto& e : events) sink.on_event(e);
    sink.on_end();
    return out.str();
}

}  // namespace markup_fixture
