// The view model of a ladder (sequence) diagram, apart from how it is drawn: one column per
// host:port, one row per arrow or note, in event order. The terminal sink (ladder_sink) and
// the HTML report (html_report) draw the same model.
//
// One ConnectionLadder per connection. TLS handshake messages that one side sends in a row
// (a "flight") share one arrow; certificates become notes under it; the teardown is a row of
// its own that names who closed and how.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "decoder/model/events.hpp"

namespace decoder {

enum class RowKind { Connect, Tls, Data, Certificate, Sip, Alert, Teardown, Notice };

// What a row means to the reader; sinks map it to colour.
enum class Tone { Plain, Tls, Request, Success, Failure, Problem, Muted };

struct LadderRow {
    RowKind kind = RowKind::Notice;
    Tone tone = Tone::Plain;
    Micros ts = 0;
    int from = 0;                     // column index of the sender (or of the note)
    std::optional<int> to;            // column index of the receiver; empty for a note
    std::string label;                // short text on the arrow or in the note
    std::vector<std::uint64_t> seqs;  // the events this row shows (several for a flight)
    std::size_t count = 1;            // repeated rows folded into one (application data)
};

class ConnectionLadder {
public:
    // Rows beyond this are counted, not kept, so a long-lived connection stays bounded.
    static constexpr std::size_t kMaxRows = 2000;

    explicit ConnectionLadder(std::uint64_t conn) : conn_(conn) {}

    // Takes one event of this connection (findings included). Never throws on odd input.
    void add(const Event& event);

    std::uint64_t conn() const { return conn_; }
    Transport transport() const { return transport_; }
    const std::vector<Endpoint>& columns() const { return columns_; }
    // "client" / "server" for the two columns of a connection.
    std::string role(int column) const;
    const std::vector<LadderRow>& rows() const { return rows_; }
    std::size_t dropped_rows() const { return dropped_; }
    const std::optional<ConnClose>& close() const { return close_; }
    const std::vector<std::pair<std::uint64_t, Finding>>& findings() const { return findings_; }
    bool closed() const { return close_.has_value(); }

private:
    int column(const Endpoint& e);
    void push(LadderRow row);
    void add_tls(const Event& e, const TlsMessage& m);
    void add_certificate(const Event& e, const Certificate& c);
    void add_sip(const Event& e, const SipMessage& m);
    void add_close(const Event& e, const ConnClose& c);

    std::uint64_t conn_;
    Transport transport_ = Transport::Tcp;
    std::vector<Endpoint> columns_;
    std::optional<int> client_column_;  // known from conn_open or conn_close
    std::vector<LadderRow> rows_;
    std::size_t dropped_ = 0;
    std::optional<std::size_t> flight_;  // index of the open TLS flight row
    std::optional<std::size_t> chain_;   // index of the open "chain:" note row
    std::optional<ConnClose> close_;
    std::vector<std::pair<std::uint64_t, Finding>> findings_;  // with their event seq
};

// "ClientHello", "ServerHelloDone", "CCS", "Finished (encrypted)" ...
std::string tls_step_name(const TlsMessage& m);
// "OPTIONS 1" / "504 Server Time-out (1 OPTIONS)" — method or status plus CSeq.
std::string sip_arrow_label(const SipMessage& m);
// "FIN after OPTIONS 1, no answer" — how the connection ended, for the teardown arrow.
std::string teardown_label(const ConnClose& c);
// One plain-ASCII sentence: "closed by 10.0.0.3:5061 (server) with FIN 2 ms after ...".
std::string teardown_sentence(const ConnClose& c);
// "client cert #0: CN=*.contoso.com  WILDCARD CN" — what the note of a leaf says.
std::string certificate_note(const Certificate& c);
// True when the close looks like a rejection: the peer hung up on an unanswered request.
bool unanswered_close(const ConnClose& c);

}  // namespace decoder
