// One captured frame as a source hands it over, and the interface that consumes frames.
// Kept apart from libpcap types so live capture, file reading and tests share it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "decoder/events.hpp"

namespace capture {

struct RawPacket {
    int link_type = 0;                  // libpcap DLT_* value (pcap_datalink)
    decoder::Micros ts = 0;             // capture time
    std::span<const std::byte> data;    // the captured bytes (caplen), valid during the call
    std::uint32_t orig_len = 0;         // length on the wire; > data.size() when snapped
};

class PacketHandler {
public:
    virtual ~PacketHandler() = default;
    // Called once per frame, in capture order. Must not throw: bad frames are data.
    virtual void on_packet(const RawPacket& packet) noexcept = 0;
};

}  // namespace capture
