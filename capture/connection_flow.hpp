// Adapts decoder::Connection to the capture layer's Flow: the glue between packets and
// the decoder. Kept in its own file so the capture tests that do not need the decoder's
// implementation do not link it.
#pragma once

#include <memory>

#include "capture/flow.hpp"
#include "decoder/model/event_bus.hpp"

namespace decoder {
class KeyLog;
}

namespace capture {

class ConnectionFlowFactory : public FlowFactory {
public:
    // With `keys` (outliving the factory) TLS connections are decrypted where it can.
    explicit ConnectionFlowFactory(decoder::EventBus& bus, const decoder::KeyLog* keys = nullptr)
        : bus_(bus), keys_(keys) {}
    // Creates a decoder::Connection, which emits conn_open.
    std::unique_ptr<Flow> open(const FlowInfo& info) override;

private:
    decoder::EventBus& bus_;
    const decoder::KeyLog* keys_;
};

}  // namespace capture
