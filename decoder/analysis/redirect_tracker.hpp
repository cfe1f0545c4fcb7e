// Exchange 2013+ splits UM into a call router (5060 TCP / 5061 TLS) and a worker process
// (5065/5067 TLS, 5066/5068 TCP). The router answers an INVITE with a 3xx whose Contact names
// the worker, and the caller (Lync / Skype for Business) opens a new connection there. This
// tracker pairs each such redirect with the connection that followed it, so that one finding
// names both (um-redirect), or says that none came (um-redirect-not-followed).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "decoder/analysis/diagnosis_rules.hpp"

namespace decoder {

// Where a 3xx response's Contact sends the caller.
struct RedirectTarget {
    std::string host;  // as the Contact names it (IPv6 without brackets)
    std::uint16_t port = 0;
    std::string transport;  // lower case, "" when the Contact has no transport parameter
    bool host_is_ip = false;
};

// The UM worker a 3xx names: a response 300-399 sent from port 5060 or 5061 (the call router)
// whose first Contact has port 5065-5068 (the worker). nullopt for anything else.
std::optional<RedirectTarget> um_redirect_target(const SipMessage& m, const Endpoint& from);

// A finding the tracker decided, with the connection it belongs to (the redirected one).
struct RedirectFinding {
    std::uint64_t conn = 0;
    Endpoint client, server;
    Transport transport = Transport::Tls;
    FindingDraft draft;
    std::vector<std::uint64_t> evidence;
};

class RedirectTracker {
public:
    // At most this many redirects wait for their connection; older ones are judged then.
    static constexpr std::size_t kMaxPending = 64;

    // Feeds one event (Diagnoser order, before it forgets the connection); appends the findings
    // it completes: a redirect is judged when the connection that followed it ends.
    void on_event(const Event& e, std::vector<RedirectFinding>& out);
    // End of the run: each redirect still waiting is judged as it stands.
    void on_end(std::vector<RedirectFinding>& out);

private:
    struct Follow {
        std::uint64_t conn = 0, open_seq = 0;
        std::string linked_by = {};  // ip, sni, certificate, port
        std::string server_subject = {}, names_note = {};
        std::uint64_t certificate_seq = 0, close_seq = 0;
        bool answered = false;  // the worker sent anything (ServerHello, SIP)
        bool invite_answered = false;
        std::string sip_result = {}, teardown = {};
    };
    struct Pending {
        std::uint64_t conn = 0, response_seq = 0;
        Endpoint client, server;
        Transport transport = Transport::Tls;
        Micros at = 0;
        std::string response = {};  // "302 Moved Temporarily to INVITE (CSeq 1)"
        RedirectTarget target = {};
        std::optional<Follow> follow = std::nullopt;
    };

    void on_open(const Event& e);
    void on_follow_event(const Event& e, Pending& p);
    RedirectFinding judge(Pending& p) const;

    std::vector<Pending> pending_;
};

}  // namespace decoder
