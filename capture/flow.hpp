// The consumer of one connection's bytes, as the flow table sees it. In the product each
// flow is a decoder::Connection (connection_flow.hpp); tests plug in a recorder, so the
// capture layer can be tested without the decoder.
#pragma once

#include <cstdint>
#include <memory>

#include "capture/stream_listener.hpp"
#include "decoder/model/events.hpp"

namespace capture {

struct FlowInfo {
    std::uint64_t id = 0;  // 1, 2, ... in order of first appearance
    decoder::Endpoint client, server;
    decoder::Transport transport = decoder::Transport::Tcp;  // Udp or Tcp
    decoder::Micros ts = 0;       // first packet
    bool handshake_seen = false;  // TCP: the SYN or SYN-ACK was captured
};

class Flow : public StreamListener {
public:
    // No more input; `how` is Fin/Rst when both sides are done or one reset, Timeout on
    // idle or eviction, CaptureEnd at the end of the input.
    virtual void finish(decoder::CloseHow how, decoder::Micros ts) noexcept = 0;
    // True once the flow has reported its close and wants no more input.
    virtual bool closed() const = 0;
};

class FlowFactory {
public:
    virtual ~FlowFactory() = default;
    virtual std::unique_ptr<Flow> open(const FlowInfo& info) = 0;
};

}  // namespace capture
