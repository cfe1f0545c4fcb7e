// What a connection's teardown report needs: who closed first and how, the last message
// before that, the requests still waiting for a final response, and per-side counts.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "decoder/model/events.hpp"

namespace decoder {

class ConnectionState {
public:
    // Every payload the connection emits passes through here first.
    void observe(Dir dir, Micros ts, const Payload& payload);
    void on_fin(Dir dir, Micros ts);
    void on_rst(Dir dir, Micros ts);

    bool both_finished() const { return fin_[0] && fin_[1]; }

    // The conn_close payload. how_if_nobody_closed is used when neither side closed
    // (capture end, idle timeout).
    ConnClose make_close(CloseHow how_if_nobody_closed, Micros now, const Endpoint& client,
                         const Endpoint& server) const;

private:
    struct Last {
        std::string summary;
        Micros ts = 0;
        Side from = Side::Client;
    };
    struct CloseMark {
        Dir dir;
        CloseHow how;
        Micros ts;
        std::optional<Last> last;  // the last message before the close
    };
    // The last application data record: its text is only needed at the close, so it is
    // written then rather than for every record.
    struct LastRecord {
        std::uint64_t length = 0;
        Micros ts = 0;
        Side from = Side::Client;
    };
    // A request waiting for its final response, by method and CSeq number. Looked up for every
    // message (a pipelined burst keeps hundreds waiting), so they are hashed; the lookup takes
    // a view of the message's method, so it does not copy it.
    struct PendingKey {
        std::string_view method;
        std::uint32_t cseq;
    };
    struct Pending {
        std::string method;
        std::uint32_t cseq;
        operator PendingKey() const { return {method, cseq}; }
    };
    struct PendingHash {
        using is_transparent = void;
        std::size_t operator()(PendingKey k) const noexcept;
    };
    struct PendingEqual {
        using is_transparent = void;
        bool operator()(PendingKey a, PendingKey b) const noexcept { return a.cseq == b.cseq && a.method == b.method; }
    };

    void mark_close(Dir dir, CloseHow how, Micros ts);
    void on_record(Dir dir, Micros ts, const TlsMessage& tls);
    void on_encrypted_alert(Dir dir, Micros ts, bool alert_sized);
    std::optional<Last> last_before_close() const;

    std::array<bool, 2> fin_{};
    std::array<bool, 2> close_notify_{};
    std::array<std::optional<std::string>, 2> fatal_alert_{};
    // Read without keys: "encrypted alert (probably close_notify)" or "encrypted alert".
    std::array<std::optional<std::string>, 2> encrypted_alert_{};
    std::optional<CloseMark> first_close_;
    // The last SIP message as the fields its summary reads and the text they view: the
    // summary is written when a close needs it, not for every message.
    struct LastSip {
        SipMessage head;      // is_request, method, request_uri, status, reason, cseq; text
        std::string summary;  // written at once instead when the message owns no text
        Micros ts = 0;
        Side from = Side::Client;
    };
    std::optional<LastSip> last_sip_;
    std::optional<LastRecord> last_record_;
    // Value: the order the request was sent in, which the close report keeps.
    std::unordered_map<Pending, std::uint64_t, PendingHash, PendingEqual> pending_;
    std::uint64_t requests_seen_ = 0;
    std::array<std::uint64_t, 2> records_{}, messages_{};
    // Runs of application data records from one side: a TLS 1.3 request and its answer
    // are two runs, after the handshake's two (server flight, client flight).
    std::uint64_t record_runs_ = 0;
};

}  // namespace decoder
