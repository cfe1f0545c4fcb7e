// What a connection's teardown report needs: who closed first and how, the last message
// before that, the requests still waiting for a final response, and per-side counts.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "decoder/events.hpp"

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
    struct Pending {
        std::string method;
        std::uint32_t cseq;
    };

    void mark_close(Dir dir, CloseHow how, Micros ts);
    std::optional<Last> last_before_close() const;

    std::array<bool, 2> fin_{};
    std::array<bool, 2> close_notify_{};
    std::array<std::optional<std::string>, 2> fatal_alert_{};
    std::optional<CloseMark> first_close_;
    std::optional<Last> last_sip_, last_record_;
    std::vector<Pending> pending_;
    std::array<std::uint64_t, 2> records_{}, messages_{};
};

}  // namespace decoder
