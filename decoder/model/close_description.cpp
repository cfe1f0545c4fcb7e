#include "decoder/model/close_description.hpp"

#include <sstream>

#include "decoder/base/text_util.hpp"

namespace decoder {

std::string describe_close(const ConnClose& c, Transport transport) {
    std::ostringstream s;
    if (c.by) {
        s << "closed by " << c.by->to_string() << " (" << to_string(*c.side) << ") with "
          << to_string(c.how);
        if (c.alert) s << " (" << *c.alert << ")";
    } else {
        s << "ended by " << (c.how == CloseHow::Timeout ? "idle timeout" : "end of capture")
          << ", neither side closed";
    }
    if (c.after) {
        if (c.ms_since_last_message) s << " " << *c.ms_since_last_message << " ms";
        s << " after " << *c.after;
    }
    if (transport == Transport::Tls) {
        s << " — handshake " << (c.handshake_complete ? "complete" : "incomplete");
        if (c.client_records + c.server_records > 0)
            s << ", " << plural(c.client_records, "record") << " from the client, "
              << (c.server_records == 0 ? "none answered" : plural(c.server_records, "record") + " from the server");
    }
    if (c.client_messages + c.server_messages > 0)
        s << ", " << plural(c.client_messages + c.server_messages, "SIP message");
    if (!c.unanswered.empty()) s << "; unanswered: " << join(c.unanswered);
    return s.str();
}

}  // namespace decoder
