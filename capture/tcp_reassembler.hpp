// Turns the TCP segments of one connection, as captured (lost, reordered, duplicated),
// into ordered bytes per direction. Missing data is never glued over: a hole becomes an
// on_gap(n) once it is known to be lost, and delivery continues after it.
//
// A hole is known lost when the other side acknowledges bytes beyond it (the receiver got
// them, we did not), when the buffer limits are hit, at RST, or at finish(). A FIN behind
// a hole waits for one of those rather than declaring the gap at once: captures do reorder
// a FIN ahead of the last data segment, and the hole's fate is settled within one
// round trip either way (the peer acknowledges the FIN, or the sender retransmits).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "capture/bytes.hpp"
#include "capture/segment_buffer.hpp"
#include "capture/stream_listener.hpp"
#include "decoder/model/events.hpp"

namespace capture {

struct TcpSegment {
    std::uint32_t seq = 0, ack = 0;
    bool syn = false, ack_flag = false, fin = false, rst = false;
    Bytes payload;               // captured payload
    std::uint32_t missing = 0;   // payload bytes cut off by the snaplen: a hole after `payload`
};

struct ReassemblyLimits {
    std::size_t max_buffered_bytes = 1 << 20;  // per direction, waiting behind a hole
    std::size_t max_buffered_segments = 4096;  // per direction; tiny segments cost map nodes
};

struct DirectionStats {
    std::uint64_t delivered = 0;  // bytes handed to on_data
    std::uint64_t gaps = 0;       // on_gap calls
    std::uint64_t gap_bytes = 0;
};

class TcpReassembler {
public:
    explicit TcpReassembler(StreamListener& listener, ReassemblyLimits limits = {})
        : listener_(listener), limits_(limits) {}

    // `dir` is the direction the segment travels in.
    void on_segment(decoder::Dir dir, const TcpSegment& segment, decoder::Micros ts) noexcept;
    // No more segments will come (capture end, timeout): declares remaining holes as gaps,
    // delivers what was buffered behind them and any FIN that was waiting. Idempotent.
    void finish(decoder::Micros ts) noexcept;

    bool started(decoder::Dir dir) const { return side(dir).started; }
    bool syn_seen(decoder::Dir dir) const { return side(dir).syn; }
    std::uint32_t initial_seq(decoder::Dir dir) const { return side(dir).isn; }
    bool fin_seen(decoder::Dir dir) const { return side(dir).fin_at.has_value(); }
    bool fin_delivered(decoder::Dir dir) const { return side(dir).fin_delivered; }
    bool reset() const { return reset_; }
    std::size_t buffered_bytes() const { return side(decoder::Dir::ClientToServer).pending.bytes() +
                                                side(decoder::Dir::ServerToClient).pending.bytes(); }
    const DirectionStats& stats(decoder::Dir dir) const { return side(dir).stats; }

private:
    struct Side {
        bool started = false, syn = false, fin_delivered = false;
        std::uint32_t isn = 0;   // the SYN's sequence number, when seen
        std::uint32_t base = 0;  // sequence number of stream offset 0
        std::uint64_t next = 0;  // offset of the next byte to deliver
        std::optional<std::uint64_t> fin_at;  // offset of the FIN
        SegmentBuffer pending;
        DirectionStats stats;
    };

    Side& side(decoder::Dir dir) { return sides_[dir == decoder::Dir::ClientToServer ? 0 : 1]; }
    const Side& side(decoder::Dir dir) const { return sides_[dir == decoder::Dir::ClientToServer ? 0 : 1]; }

    static std::int64_t offset_of(const Side& s, std::uint32_t seq);
    void take_data(decoder::Dir dir, const TcpSegment& segment, decoder::Micros ts);
    void on_ack(decoder::Dir dir, std::uint32_t ack, decoder::Micros ts);
    void on_reset(decoder::Dir dir, decoder::Micros ts);
    void deliver_ready(decoder::Dir dir, decoder::Micros ts);
    void gap_to(decoder::Dir dir, std::uint64_t offset, decoder::Micros ts);
    void enforce_limits(decoder::Dir dir, decoder::Micros ts);
    void flush(decoder::Dir dir, decoder::Micros ts);
    void maybe_fin(decoder::Dir dir, decoder::Micros ts);

    StreamListener& listener_;
    ReassemblyLimits limits_;
    std::array<Side, 2> sides_;
    bool reset_ = false;
};

}  // namespace capture
