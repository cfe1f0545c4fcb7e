// What a TCP reassembler delivers to: ordered bytes per direction, holes, and closes.
// decoder::Connection sits behind it in the product; tests record it.
#pragma once

#include <cstdint>
#include <span>

#include "decoder/model/events.hpp"

namespace capture {

class StreamListener {
public:
    virtual ~StreamListener() = default;
    // The next in-order bytes of one direction (UDP: one whole datagram).
    virtual void on_data(decoder::Dir dir, std::span<const std::byte> data, decoder::Micros ts) noexcept = 0;
    // `bytes` of the direction that were never captured; the stream continues after them.
    virtual void on_gap(decoder::Dir dir, std::uint64_t bytes, decoder::Micros ts) noexcept = 0;
    // The direction ended with a FIN, after all its bytes (and gaps) were delivered.
    virtual void on_fin(decoder::Dir dir, decoder::Micros ts) noexcept = 0;
    // The sender of `dir` reset the connection.
    virtual void on_rst(decoder::Dir dir, decoder::Micros ts) noexcept = 0;
};

}  // namespace capture
