// Out-of-order byte ranges of one stream or datagram, keyed by 64-bit offset.
// Ranges never overlap: on insert, bytes already held win ("first copy wins"), which is
// what a receiving stack does and what keeps a retransmission from rewriting history.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "capture/bytes.hpp"

namespace capture {

class SegmentBuffer {
public:
    // Stores the parts of [offset, offset + data.size()) not held yet; returns how many
    // bytes that was.
    std::size_t insert(std::uint64_t offset, Bytes data);

    bool empty() const { return segments_.empty(); }
    std::size_t bytes() const { return bytes_; }
    std::size_t segments() const { return segments_.size(); }
    // Offset of the first held byte; only when not empty.
    std::uint64_t first_offset() const { return segments_.begin()->first; }
    // Offset one past the last held byte, or 0 when empty.
    std::uint64_t end_offset() const;

    // Removes and returns the range starting exactly at `offset`, if there is one.
    std::optional<std::vector<std::byte>> take_at(std::uint64_t offset);
    // Removes every held byte before `offset` (a gap was declared over them or they were
    // delivered another way).
    void drop_before(std::uint64_t offset);
    void clear();

    // Concatenation of all ranges, for a caller that knows they are contiguous.
    std::vector<std::byte> concatenate() const;

private:
    std::map<std::uint64_t, std::vector<std::byte>> segments_;
    std::size_t bytes_ = 0;
};

}  // namespace capture
