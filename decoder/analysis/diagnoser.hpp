// Turns the event stream into findings: keeps what each connection has shown so far
// (certificate chains, names in SIP headers, whether a client certificate was asked for) and
// calls the pure rules of diagnosis_rules.hpp at the moment their evidence is complete.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "decoder/analysis/diagnosis_rules.hpp"
#include "decoder/model/event_bus.hpp"
#include "decoder/analysis/redirect_tracker.hpp"

namespace decoder {

struct DiagnosisOptions {
    std::string expect_peer;  // FQDN the client's certificate CN must equal
    std::string ca_file;      // trusted roots; empty: no chain verification
};

class Diagnoser : public EventSink {
public:
    // Reads options.ca_file now; throws std::runtime_error naming it when it cannot be read.
    Diagnoser(EventBus& bus, DiagnosisOptions options);
    void on_event(const Event& event) override;
    // Redirects still waiting for their connection are judged now.
    void on_end() override;

private:
    struct SideInfo {
        std::vector<Certificate> chain;
        std::vector<std::uint64_t> chain_seq;
        std::optional<int> announced;  // certificates the Certificate message said it carries
        bool chain_checked = false, name_checked = false;
        std::string sip_name, sip_name_source;
        std::uint64_t sip_name_seq = 0;
        // Weak-signature certificates (chain positions) waiting for the peer's verdict: a
        // fatal alert makes them errors, the end of the connection warnings.
        std::vector<std::size_t> weak_signatures;
    };
    struct ConnInfo {
        Endpoint client, server;
        Transport transport = Transport::Tcp;
        std::optional<std::uint64_t> certificate_request_seq;
        std::array<SideInfo, 2> sides;
        std::optional<TlsMessage> client_hello = std::nullopt;  // until the ServerHello answers it
        std::uint64_t client_hello_seq = 0;
        bool refusal_named = false;
        std::optional<TlsMessage> certificate_request = std::nullopt;  // its CA names
        bool ca_list_checked = false;
    };

    void on_tls(const Event& e, ConnInfo& info, const TlsMessage& m);
    void on_certificate(const Event& e, ConnInfo& info, const Certificate& c);
    void on_sip(const Event& e, ConnInfo& info, const SipMessage& m);
    void on_close(const Event& e, ConnInfo& info, const ConnClose& c);
    void check_refusal(const Event& e, ConnInfo& info, const HelloRefusal& refusal);
    void check_name(const Event& e, ConnInfo& info, Side side, bool final);
    void check_chain(const Event& e, ConnInfo& info, Side side);
    void check_ca_list(const Event& e, ConnInfo& info, CaListAnswer answer);
    void check_weak_signatures(const Event& e, ConnInfo& info, Side side, std::string_view refusal);
    void emit(const Event& cause, const ConnInfo& info, FindingDraft draft,
              std::vector<std::uint64_t> evidence);
    void emit_redirects(Micros at);

    EventBus& bus_;
    DiagnosisOptions options_;
    std::optional<TrustStore> roots_;  // from options_.ca_file, read once
    // Looked up for every event and never walked in order: a hash map, since a tree's lookups
    // missed the cache on every level once thousands of connections were open.
    std::unordered_map<std::uint64_t, ConnInfo> conns_;
    RedirectTracker redirects_;
    Micros last_ts_ = 0;  // the time of run-end findings
    std::vector<RedirectFinding> redirect_findings_;  // decided, not yet emitted
};

// The FQDN a SIP message names for its sender (Contact maddr/host, first Via, From without
// a user part), with the header it came from; nullopt when only IP addresses are named.
std::optional<std::pair<std::string, std::string>> sender_fqdn(const SipMessage& m);

}  // namespace decoder
