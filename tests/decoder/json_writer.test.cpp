// The direct JSON writer (append_json) against the readable reference serialiser (tests/reference_json.cpp), member by
// member: every payload type with each optional member present and absent, so that a member
// written out of key order shows up here even when no sample capture carries it.
#include <catch2/catch.hpp>

#include "decoder/sinks/json_sink.hpp"
#include "reference_json.hpp"
#include "decoder/sinks/json_writer.hpp"

using namespace decoder;

namespace {

std::string reference(const Event& e) {
    return test::reference_json(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string fast(const Event& e) {
    std::string out = "prefix ";  // appends: what is already in the line stays
    append_json(e, out);
    return out.substr(7);
}

Event event_with(Payload payload, bool addressed = true, Transport transport = Transport::Tls) {
    Event e;
    e.seq = 42;
    e.ts = 1'764'300'000'123'456;
    e.conn = 7;
    if (addressed) {
        e.src = {"10.0.0.1", 40000};
        e.dst = {"2001:db8::5", 5061};
    }
    e.transport = transport;
    e.payload = std::move(payload);
    return e;
}

}  // namespace

TEST_CASE("[json] every payload type, optional members present and absent, as the reference serialiser writes it", "[json]") {
    std::vector<Event> events;
    const bool full = GENERATE(false, true);
    CAPTURE(full);

    events.push_back(event_with(ConnOpen{full}));
    events.push_back(event_with(ConnOpen{}, false, Transport::Udp));

    TlsMessage tls;
    tls.type = full ? "certificate_request" : "client_hello";
    tls.version = "TLS 1.2";
    if (full) {
        tls.sni = "lync.example";
        tls.cipher = "TLS_AES_128_GCM_SHA256";
        tls.alpn = "sip";
        tls.ca_names = {"CN=Root", "CN=\"Quoted\" \xff"};
        tls.ca_names_bytes = 41000;
        tls.ca_names_within_limit = 98;
        tls.supported_versions = {"TLS 1.3", "TLS 1.2"};
        tls.signature_algorithms = {"rsa_pss_rsae_sha256"};
        tls.ciphers = {"a", "b"};
        tls.certificate_count = 0;
        tls.length = 1234;
        tls.encrypted = true;
    }
    events.push_back(event_with(tls));

    Certificate cert;
    cert.side = full ? Side::Client : Side::Server;
    cert.index = full ? 1 : 0;
    cert.subject = "CN=um.example,O=Contoso";
    cert.subject_cn = "um.example";
    cert.issuer = "CN=Issuing CA";
    cert.serial = "0a1b";
    cert.sha256 = "ff00";
    cert.key = "RSA 2048";
    if (full) {
        cert.san = {"um.example", "*.example"};
        cert.san_ip = {"10.0.0.1"};
        cert.eku = std::vector<std::string>{"serverAuth"};
    }
    cert.signature_algorithm = full ? "sha1WithRSAEncryption" : "rsassaPss";
    cert.not_before = -1'000'000;  // before 1970
    cert.not_after = 1'900'000'000'000'001;
    cert.wildcard_cn = full;
    cert.self_signed = !full;
    events.push_back(event_with(cert));

    for (bool request : {true, false}) {
        SipMessage sip;
        sip.is_request = request;
        sip.method = "OPTIONS";
        sip.status = request ? 0 : 504;
        sip.reason = request ? "" : "Server Time-out";
        sip.request_uri = "sip:lync.example;transport=tls";
        sip.call_id = "abc@host";
        sip.cseq = "1 OPTIONS";
        sip.cseq_number = 1;
        sip.from = "<sip:um.example>;tag=1";
        sip.to = "<sip:lync.example>";
        sip.via = {"SIP/2.0/TLS um.example:5061;branch=z9hG4bK1", "SIP/2.0/TLS b;branch=2"};
        sip.bytes = 300;
        if (full) {
            sip.contact = "<sip:um.example:5061;transport=tls>";
            sip.user_agent = "UM/1.0";
            sip.server = "Lync/4.0";
            sip.content_length = 0;
            MsDiagnostics d;
            d.code = 1046;
            d.reason = "Failed to connect to a peer server";
            d.params = {{"source", "lync.example"}, {"WinsockFailureCode", "10060"}, {"Domain", "x"}};
            sip.ms_diagnostics = d;
        }
        events.push_back(event_with(sip));
    }

    events.push_back(event_with(TlsAlert{"fatal", "bad_certificate", full}));

    for (Transport transport : {Transport::Tls, Transport::Tcp}) {
        ConnClose close;
        if (full) {
            close.by = Endpoint{"::1", 5061};
            close.side = Side::Server;
            close.after = "server 504 Server Time-out (CSeq 1 OPTIONS)";
            close.after_from = Side::Server;
            close.ms_since_last_message = 12;
            close.unanswered = {"OPTIONS 2", "INVITE 3"};
            close.alert = "bad_certificate";
        }
        close.how = full ? CloseHow::Alert : CloseHow::CaptureEnd;
        close.handshake_complete = full;
        close.client_records = 3;
        close.server_records = 4;
        close.client_messages = 5;
        close.server_messages = 6;
        events.push_back(event_with(close, true, transport));
    }

    Finding finding{Severity::Error, "tls-wildcard", "the certificate's CN is a wildcard", {}};
    if (full) finding.evidence = {3, 9, 12};
    events.push_back(event_with(finding, full));
    Finding redirect{Severity::Info, "um-redirect", "302 to the worker", {4}};
    redirect.redirect = RedirectLink{"um01.contoso.com:5065", "tls"};
    if (full) redirect.redirect = RedirectLink{"[::1]:5065", "", 7, "sni", "CN=\"um\"", "teardown: fin"};
    events.push_back(event_with(redirect, full));

    events.push_back(event_with(Notice{"gap", "12 bytes missing"}, full));
    // Addresses never need escaping in practice; one that did is still escaped like the reference.
    auto odd = event_with(Notice{"gap", "odd address"});
    odd.src = {"fe80::1%e\"th\x01\xff", 5060};
    events.push_back(odd);

    for (const auto& e : events) {
        CAPTURE(event_name(e));
        CHECK(fast(e) == reference(e));
    }
}

// The escaping copies plain runs a word at a time (16 and 8 bytes, and a value's last 1-7 bytes
// as its last 8): a byte that needs escaping, at every position of values of every length up
// to a few words, must come out as the reference writes it. (A truncated multi-byte sequence
// is left out: the writer replaces each of its bytes with U+FFFD, the reference the sequence
// once; that difference predates the block copies.)
TEST_CASE("[json] escaping at every position of short and long values", "[json]") {
    const std::vector<std::string> specials = {"\"", "\\", "\x01", "\n", "\x1f", "\x7f", "\xc3\xa9",
                                               "\xe2\x82\xac", "\xff", "\xf0\x9f\x98\x80"};
    for (std::size_t length = 0; length <= 40; ++length) {
        const std::string plain(length, 'a');
        std::vector<std::string> values = {plain};
        for (const auto& special : specials)
            for (std::size_t at = 0; at <= length; ++at) values.push_back(plain.substr(0, at) + special + plain.substr(at));
        for (const auto& value : values) {
            CAPTURE(length, value);
            const auto e = event_with(Notice{"gap", value});
            REQUIRE(fast(e) == reference(e));
        }
    }
}
