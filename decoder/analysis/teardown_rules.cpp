// The rules that read a connection's teardown: who hung up, how, and after what.
#include "decoder/analysis/diagnosis_rules.hpp"
#include "decoder/base/text_util.hpp"

namespace decoder {

namespace {

std::string closer(const ConnClose& c) {
    return c.by->to_string() + " (" + to_string(*c.side) + ")";
}

std::string after_text(const ConnClose& c) {
    if (!c.after) return "";
    return (c.ms_since_last_message ? " " + std::to_string(*c.ms_since_last_message) + " ms" : "") +
           " after " + *c.after;
}

}  // namespace

std::vector<FindingDraft> check_close(const ConnClose& c, Transport transport, const Endpoint& client,
                                      const Endpoint& server) {
    std::vector<FindingDraft> out;
    const bool server_closed = c.side && *c.side == Side::Server;
    const bool hung_up = c.how == CloseHow::Fin || c.how == CloseHow::Rst || c.how == CloseHow::Alert;

    // The incident's signature: the server takes the request and hangs up without a word.
    const bool sip_unanswered = !c.unanswered.empty() && c.client_messages > 0 && c.server_messages == 0;
    // Without keys: the client's record was the last thing before the server hung up. In
    // TLS 1.3 the server's own records include its encrypted handshake and tickets, so a
    // server record count above zero does not mean the request was answered.
    const bool encrypted_only = transport == Transport::Tls && c.client_messages + c.server_messages == 0;
    const bool records_unanswered = encrypted_only && c.handshake_complete && c.client_records > 0 &&
                                    c.after_from == Side::Client;
    if (server_closed && hung_up && (sip_unanswered || records_unanswered)) {
        const std::string what = sip_unanswered ? join(c.unanswered)
                                 : c.server_records == 0 ? "the client's first request"
                                                         : "the client's last record";
        out.push_back({Severity::Error, "closed-after-request",
                       closer(c) + " closed the connection with " + to_string(c.how) + after_text(c) +
                           " without answering " + what +
                           ": this is how Lync/Skype for Business rejects a peer server it does not accept "
                           "(\"The peer is not a configured server on this network interface\"), most often "
                           "because the subject CN of the peer's certificate is not its FQDN."});
    } else if (hung_up && !c.unanswered.empty() && c.by) {
        out.push_back({Severity::Warning, "closed-after-request",
                       closer(c) + " closed the connection with " + to_string(c.how) + after_text(c) +
                           " while " + join(c.unanswered) + " had no final response."});
    }
    if (c.how == CloseHow::Rst && c.by) {
        out.push_back({c.unanswered.empty() ? Severity::Warning : Severity::Error, "reset-by-peer",
                       closer(c) + " reset the connection (TCP RST)" + after_text(c) +
                           (c.unanswered.empty() ? "." : "; unanswered: " + join(c.unanswered) + ".")});
    }
    if (transport == Transport::Tls && !c.handshake_complete) {
        out.push_back({Severity::Warning, "handshake-incomplete",
                       "The TLS handshake between " + client.to_string() + " and " + server.to_string() +
                           " never completed" +
                           (c.alert ? " (" + closer(c) + " sent " + *c.alert + ")" : "") +
                           ", so no SIP could be exchanged on this connection."});
    }
    return out;
}

}  // namespace decoder
