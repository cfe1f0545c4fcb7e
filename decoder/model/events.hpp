// The one event model every source (pcap, live, relay) produces and every sink reads.
// Field names mirror the JSON contract in SPEC.md; new fields may be added, none renamed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace decoder {

// Schannel's limit on a CertificateRequest's trusted-issuer list (KB 2464556, KB 2880390):
// names past it are cut off.
inline constexpr std::uint64_t kSchannelCaListLimit = 16384;

// Microseconds since the Unix epoch, UTC.
using Micros = std::int64_t;

struct Endpoint {
    std::string ip;  // textual address, IPv6 without brackets
    std::uint16_t port = 0;

    std::string to_string() const;  // "1.2.3.4:5061" or "[::1]:5061"
    void append_to(std::string& out) const;  // the same, appended
    friend bool operator==(const Endpoint&, const Endpoint&) = default;
    friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
};

enum class Transport { Udp, Tcp, Tls };
enum class Dir { ClientToServer, ServerToClient };
enum class Side { Client, Server };
enum class Severity { Info, Warning, Error };
enum class CloseHow { Fin, Rst, CloseNotify, Alert, Timeout, CaptureEnd };
// A TLS alert's description by its number (RFC 8446 6.2), for the code that tells alerts
// apart; any other number is a valid value too. Events and the JSON keep the name.
enum class AlertDescription : std::uint8_t { CloseNotify = 0, HandshakeFailure = 40, ProtocolVersion = 70 };

const char* to_string(Transport);
const char* to_string(Side);
const char* to_string(Severity);
const char* to_string(CloseHow);
inline Side sender_side(Dir d) { return d == Dir::ClientToServer ? Side::Client : Side::Server; }
inline Dir reverse(Dir d) { return d == Dir::ClientToServer ? Dir::ServerToClient : Dir::ClientToServer; }

struct ConnOpen {
    bool handshake_seen = false;  // TCP SYN seen (false: capture started mid-connection)
};

// One TLS handshake message, ChangeCipherSpec, or a summary of application data records.
struct TlsMessage {
    std::string type;  // client_hello, server_hello, certificate_request, ..., application_data
    std::string version;  // record or negotiated version, e.g. "TLS 1.2"
    std::optional<std::string> sni, cipher, alpn;
    std::vector<std::string> ca_names;            // certificate_request
    std::optional<std::uint64_t> ca_names_bytes;  // certificate_request: bytes of its CA name list
    // certificate_request over kSchannelCaListLimit: how many names end within that limit (the
    // ones a Windows client that cuts the list there still sees).
    std::optional<std::uint64_t> ca_names_within_limit;
    std::vector<std::string> supported_versions;  // client_hello
    std::vector<std::string> signature_algorithms;
    std::vector<std::string> ciphers;             // client_hello offer
    std::optional<int> certificate_count;         // certificate (0 = empty: no client certificate)
    std::optional<std::uint64_t> length;          // application_data / encrypted record bytes
    bool encrypted = false;                       // content we saw only as ciphertext
};

struct Certificate {
    Side side = Side::Server;  // which side presented it
    int index = 0;             // 0 = leaf
    std::string subject, subject_cn, issuer, serial, sha256, key;
    std::string signature_algorithm;  // OpenSSL's name: sha1WithRSAEncryption, rsassaPss, ...
    std::optional<std::vector<std::string>> eku;  // Extended Key Usage, when the extension exists
    std::vector<std::string> san;     // DNS names
    std::vector<std::string> san_ip;  // IP addresses
    Micros not_before = 0, not_after = 0;
    bool wildcard_cn = false, self_signed = false;
    std::string der;  // raw DER, kept for verification against --ca-file
};

struct MsDiagnostics {
    int code = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> params;  // other parameters, in order
};

// A text field of SipMessage: a view, assigned from views and string literals only. A
// std::string is refused at compile time, since its buffer may be gone before the message is
// read (keep the text alive elsewhere and pass std::string_view(s) to say so).
class SipText : public std::string_view {
public:
    using std::string_view::string_view;
    constexpr SipText() noexcept = default;
    constexpr SipText(std::string_view v) noexcept : std::string_view(v) {}  // NOLINT: a view stays a view
    SipText(const std::string&) = delete;
};

// Text fields are views, not copies: into `text`, which holds the message as received and
// after it any folded header value unfolded; copies of the event share it. One allocation per
// message instead of one per field was most of what parsing a message cost. A view may also
// point at text that outlives the message (a string literal in a test).
struct SipMessage {
    bool is_request = true;
    SipText method;  // requests; for responses the CSeq method
    int status = 0;  // responses
    SipText reason, request_uri, call_id, cseq, from, to, contact, user_agent, server;
    std::uint32_t cseq_number = 0;
    std::vector<SipText> via;
    std::optional<std::uint64_t> content_length;
    std::optional<MsDiagnostics> ms_diagnostics;
    std::uint64_t bytes = 0;
    SipText raw;  // the whole message as received (capped by the parser's size limit)
    std::shared_ptr<const char[]> text;  // what the views point into; empty when they point elsewhere

    // Copies `message` (which `raw` then views) and `unfolded` into one new `text`, and moves
    // every field that views either into that copy.
    void keep(std::string_view message, std::string_view unfolded);

    std::string summary() const;  // "OPTIONS sip:x (CSeq 1 OPTIONS)" / "504 Server Time-out (CSeq 1 OPTIONS)"
    void append_summary(std::string& out) const;  // the same, appended (reuses out's capacity)
};

// The level names of TLS alerts as events carry them (RFC 5246 7.2: 1 and 2).
inline constexpr const char* kAlertLevelWarning = "warning";
inline constexpr const char* kAlertLevelFatal = "fatal";

struct TlsAlert {
    std::string level;        // warning, fatal, or unknown when encrypted
    std::string description;  // bad_certificate, close_notify, ... ; "encrypted" when unknown
    bool encrypted = false;
    // The record's length when encrypted: every alert is two bytes of plaintext, so the
    // length tells an alert-sized record from anything else.
    std::optional<std::uint64_t> length = std::nullopt;
    std::optional<AlertDescription> code = std::nullopt;  // the description's number; empty when encrypted

    // A fatal alert ends the connection (an encrypted one's level is not known).
    bool is_fatal() const { return level == kAlertLevelFatal; }
};

struct ConnClose {
    std::optional<Endpoint> by;  // who closed first; empty when nobody did (capture end, timeout)
    std::optional<Side> side;
    CloseHow how = CloseHow::CaptureEnd;
    std::optional<std::string> after;  // last SIP message (or record) before the close
    std::optional<Side> after_from;    // who sent it
    std::optional<std::int64_t> ms_since_last_message;
    std::vector<std::string> unanswered;  // "OPTIONS 1"
    bool handshake_complete = false;      // TLS only
    std::uint64_t client_records = 0, server_records = 0;  // TLS application data records
    std::uint64_t client_messages = 0, server_messages = 0;  // SIP messages
    std::optional<std::string> alert;  // the closer's alert description when how == Alert
};

// A SIP redirect (the Exchange UM call router's 3xx to its worker) and the connection that
// followed it, as um-redirect and um-redirect-not-followed carry them.
struct RedirectLink {
    std::string to = {};         // "host:port" the Contact names
    std::string transport = {};  // the Contact's transport parameter, lower case ("tls"), or ""
    std::optional<std::uint64_t> conn = std::nullopt;  // the connection that followed, if one did
    std::string linked_by = {};  // how it was matched: ip, sni, certificate, port ("" when none followed)
    std::string server_certificate = {};  // that connection's server leaf subject, when seen
    std::string outcome = {};    // that connection's SIP result and teardown in words
};

struct Finding {
    Severity severity = Severity::Info;
    std::string code, message;
    std::vector<std::uint64_t> evidence;  // seq numbers of the events that prove it
    std::optional<RedirectLink> redirect = std::nullopt;  // um-redirect*
};

// Something the decoder could not make sense of: a gap, a malformed message, a bad packet.
struct Notice {
    std::string what;  // gap, sip-error, tls-error, packet-error, ...
    std::string message;
};

using Payload =
    std::variant<ConnOpen, TlsMessage, Certificate, SipMessage, TlsAlert, ConnClose, Finding, Notice>;

struct Event {
    std::uint64_t seq = 0;  // position in the run's event stream, assigned by the bus
    Micros ts = 0;
    std::uint64_t conn = 0;
    Endpoint src, dst;  // direction of the packet/message; for conn_* events client -> server
    Transport transport = Transport::Tcp;
    Payload payload;

    template <class T> const T* as() const { return std::get_if<T>(&payload); }
};

// "conn_open", "tls", "certificate", "sip", "tls_alert", "conn_close", "finding", "notice".
const char* event_name(const Event&);

// RFC 3339 UTC with microseconds: 2026-11-27T21:54:42.123456Z
std::string format_rfc3339(Micros);
void append_rfc3339(Micros, std::string& out);  // the same, appended
// The most bytes write_rfc3339 writes (a year far from ours takes more digits).
inline constexpr std::size_t kRfc3339MaxChars = 96;
// The same, written at `out`, which has room for kRfc3339MaxChars; returns the end.
char* write_rfc3339(Micros, char* out);

class EventSink {
public:
    virtual ~EventSink() = default;
    virtual void on_event(const Event&) = 0;
    // The bus has delivered everything one input caused (see EventBus::Batch): a sink that
    // writes to a stream flushes here rather than per event, one system call per input.
    virtual void on_flush() {}
    virtual void on_end() {}
};

}  // namespace decoder
