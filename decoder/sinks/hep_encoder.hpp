// HEPv3 (the HOMER encapsulation protocol): one SIP message with its addresses, ports,
// time and Call-ID as a list of typed chunks, ready to send over UDP to a HOMER server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "decoder/model/events.hpp"

namespace decoder {

struct HepOptions {
    std::uint32_t capture_id = 2001;  // HEP capture agent id
    std::string password;             // optional authentication key chunk
    std::string agent_name = "siptap";
};

// The HEPv3 packet for a `sip` event; nullopt for other events or unparsable addresses.
std::optional<std::vector<std::byte>> encode_hep(const Event& event, const HepOptions& options);

// Sends every SIP event as HEPv3 through `send` (the CLI supplies a UDP socket).
class HepSink : public EventSink {
public:
    using Sender = void (*)(void* context, const std::vector<std::byte>& packet);
    HepSink(HepOptions options, Sender send, void* context)
        : options_(std::move(options)), send_(send), context_(context) {}
    void on_event(const Event& event) override;

    std::uint64_t sent() const { return sent_; }

private:
    HepOptions options_;
    Sender send_;
    void* context_;
    std::uint64_t sent_ = 0;
};

}  // namespace decoder
