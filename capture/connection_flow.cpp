#include "capture/connection_flow.hpp"

#include "decoder/flow/connection.hpp"

namespace capture {
namespace {

class ConnectionFlow : public Flow {
public:
    ConnectionFlow(decoder::EventBus& bus, const FlowInfo& info, const decoder::KeyLog* keys)
        : connection_(bus, info.id, info.client, info.server, info.transport, info.ts, info.handshake_seen, keys) {}

    void on_data(decoder::Dir dir, std::span<const std::byte> data, decoder::Micros ts) noexcept override {
        connection_.on_data(dir, data, ts);
    }
    void on_gap(decoder::Dir dir, std::uint64_t bytes, decoder::Micros ts) noexcept override {
        connection_.on_gap(dir, bytes, ts);
    }
    void on_fin(decoder::Dir dir, decoder::Micros ts) noexcept override { connection_.on_fin(dir, ts); }
    void on_rst(decoder::Dir dir, decoder::Micros ts) noexcept override { connection_.on_rst(dir, ts); }
    void finish(decoder::CloseHow how, decoder::Micros ts) noexcept override { connection_.finish(how, ts); }
    bool closed() const override { return connection_.closed(); }

private:
    decoder::Connection connection_;
};

}  // namespace

std::unique_ptr<Flow> ConnectionFlowFactory::open(const FlowInfo& info) {
    return std::make_unique<ConnectionFlow>(bus_, info, keys_);
}

}  // namespace capture
