#include "capture/tcp_reassembler.hpp"

#include <algorithm>

namespace capture {

using decoder::Dir;
using decoder::Micros;

// Sequence numbers wrap at 2^32; offsets do not. The segment's offset is the one closest
// to where the stream is now, which is right as long as TCP's window rules hold.
std::int64_t TcpReassembler::offset_of(const Side& s, std::uint32_t seq) {
    const std::uint32_t expected = s.base + static_cast<std::uint32_t>(s.next);
    const auto diff = static_cast<std::int32_t>(seq - expected);
    return static_cast<std::int64_t>(s.next) + diff;
}

void TcpReassembler::on_segment(Dir dir, const TcpSegment& seg, Micros ts) noexcept {
    if (reset_) return;  // after a reset nothing on this connection is meaningful
    if (seg.rst) {
        on_reset(dir, ts);
        return;
    }
    Side& s = side(dir);
    if (!s.started && (seg.syn || !seg.payload.empty() || seg.missing != 0 || seg.fin)) {
        s.started = true;
        s.syn = seg.syn;
        s.isn = seg.seq;
        s.base = seg.syn ? seg.seq + 1 : seg.seq;
    }
    // The ACK tells what the sender had received of the other direction before sending
    // this segment, so any hole it settles comes before this segment's own bytes.
    if (seg.ack_flag) on_ack(decoder::reverse(dir), seg.ack, ts);
    if (s.started) take_data(dir, seg, ts);
}

void TcpReassembler::take_data(Dir dir, const TcpSegment& seg, Micros ts) {
    Side& s = side(dir);
    if (s.fin_delivered) return;
    std::int64_t off = offset_of(s, seg.syn ? seg.seq + 1 : seg.seq);
    const std::int64_t seq_end = off + static_cast<std::int64_t>(seg.payload.size() + seg.missing);
    if (seg.fin && !s.fin_at && seq_end >= static_cast<std::int64_t>(s.next)) s.fin_at = seq_end;

    Bytes data = seg.payload;
    const auto next = static_cast<std::int64_t>(s.next);
    if (off < next) {  // retransmitted or overlapping bytes already delivered: first copy won
        const auto skip = static_cast<std::size_t>(std::min<std::int64_t>(next - off, data.size()));
        data = data.subspan(skip);
        off = next;
    }
    if (s.fin_at) {  // nothing counts after the FIN
        const auto room = static_cast<std::int64_t>(*s.fin_at) - off;
        data = data.first(static_cast<std::size_t>(std::clamp<std::int64_t>(room, 0, data.size())));
    }
    if (!data.empty()) {
        if (off == next && s.pending.empty()) {
            s.next += data.size();
            s.stats.delivered += data.size();
            listener_.on_data(dir, data, ts);
        } else {
            s.pending.insert(static_cast<std::uint64_t>(off), data);
        }
    }
    deliver_ready(dir, ts);
    enforce_limits(dir, ts);
    maybe_fin(dir, ts);
}

// `dir` is the direction being acknowledged.
void TcpReassembler::on_ack(Dir dir, std::uint32_t ack, Micros ts) {
    Side& s = side(dir);
    if (!s.started || s.fin_delivered) return;
    std::int64_t acked = offset_of(s, ack);
    if (s.fin_at) acked = std::min<std::int64_t>(acked, static_cast<std::int64_t>(*s.fin_at));
    const auto next = static_cast<std::int64_t>(s.next);
    if (acked <= next) return;
    // One byte more than we saw, nothing buffered: most likely a FIN the capture missed,
    // which is no loss of data. A lost 1-byte segment still shows up at the next hole.
    if (acked == next + 1 && s.pending.empty() && !s.fin_at) return;
    // The receiver holds bytes up to `acked` that never reached the capture.
    gap_to(dir, static_cast<std::uint64_t>(acked), ts);
    maybe_fin(dir, ts);
}

void TcpReassembler::on_reset(Dir dir, Micros ts) {
    flush(dir, ts);
    flush(decoder::reverse(dir), ts);
    reset_ = true;
    listener_.on_rst(dir, ts);
}

void TcpReassembler::finish(Micros ts) noexcept {
    if (reset_) return;
    flush(Dir::ClientToServer, ts);
    flush(Dir::ServerToClient, ts);
}

void TcpReassembler::deliver_ready(Dir dir, Micros ts) {
    Side& s = side(dir);
    while (auto chunk = s.pending.take_at(s.next)) {
        s.next += chunk->size();
        s.stats.delivered += chunk->size();
        listener_.on_data(dir, *chunk, ts);
    }
}

// Declares everything missing before `offset` lost, delivering buffered data on the way.
void TcpReassembler::gap_to(Dir dir, std::uint64_t offset, Micros ts) {
    Side& s = side(dir);
    while (s.next < offset) {
        s.pending.drop_before(s.next);
        const std::uint64_t until = s.pending.empty() ? offset : std::min(offset, s.pending.first_offset());
        if (until > s.next) {
            const std::uint64_t n = until - s.next;
            s.next = until;
            ++s.stats.gaps;
            s.stats.gap_bytes += n;
            listener_.on_gap(dir, n, ts);
        }
        deliver_ready(dir, ts);
    }
}

// Too much waiting behind the first hole: give up on it, as a receiver's window would.
void TcpReassembler::enforce_limits(Dir dir, Micros ts) {
    Side& s = side(dir);
    while (!s.pending.empty() && (s.pending.bytes() > limits_.max_buffered_bytes ||
                                  s.pending.segments() > limits_.max_buffered_segments)) {
        gap_to(dir, s.pending.first_offset(), ts);
    }
}

void TcpReassembler::flush(Dir dir, Micros ts) {
    Side& s = side(dir);
    if (!s.started || s.fin_delivered) return;
    if (!s.pending.empty()) gap_to(dir, s.pending.end_offset(), ts);
    if (s.fin_at && s.next < *s.fin_at) gap_to(dir, *s.fin_at, ts);
    maybe_fin(dir, ts);
}

void TcpReassembler::maybe_fin(Dir dir, Micros ts) {
    Side& s = side(dir);
    if (s.fin_delivered || !s.fin_at || s.next < *s.fin_at) return;
    s.fin_delivered = true;
    s.pending.clear();
    listener_.on_fin(dir, ts);
}

}  // namespace capture
