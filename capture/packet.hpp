// One captured frame as a source hands it over, and the interface that consumes frames.
// Kept apart from libpcap types so live capture, file reading and tests share it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "decoder/model/events.hpp"

namespace capture {

struct RawPacket {
    int link_type = 0;                  // libpcap DLT_* value (pcap_datalink)
    decoder::Micros ts = 0;             // capture time
    std::span<const std::byte> data;    // the captured bytes (caplen), valid during the call
    std::uint32_t orig_len = 0;         // length on the wire; > data.size() when snapped
};

// A libpcap timestamp in microseconds. A damaged file can carry seconds so large that the
// product overflows (seen in fuzzing: a pcapng with a garbage resolution option); such a time
// saturates at +-(2^62 - 1) us (146,000 years), where the difference of two times still fits in
// 64 bits (at +-2^62 it is 2^63, one too many: found by fuzz_pcap, flow expiry and teardown).
inline decoder::Micros micros_of(std::int64_t seconds, std::int64_t micros) noexcept {
    constexpr std::int64_t limit = (std::int64_t{1} << 62) - 1;
    if (seconds >= limit / 1'000'000) return limit;
    if (seconds <= -limit / 1'000'000) return -limit;
    return seconds * 1'000'000 + micros;
}

class PacketHandler {
public:
    virtual ~PacketHandler() = default;
    // Called once per frame, in capture order. Must not throw: bad frames are data.
    virtual void on_packet(const RawPacket& packet) noexcept = 0;
};

}  // namespace capture
