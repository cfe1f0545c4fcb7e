#include "capture/segment_buffer.hpp"

#include <algorithm>
#include <iterator>

namespace capture {

std::size_t SegmentBuffer::insert(std::uint64_t offset, Bytes data) {
    const std::uint64_t end = offset + data.size();
    std::uint64_t pos = offset;
    auto next = segments_.upper_bound(pos);
    if (next != segments_.begin()) {
        const auto prev = std::prev(next);
        pos = std::max(pos, std::min(end, prev->first + prev->second.size()));
    }
    std::size_t added = 0;
    // Invariant: every range before `next` ends at or before `pos`.
    while (pos < end) {
        const std::uint64_t stop = next == segments_.end() ? end : std::min(end, next->first);
        if (stop > pos) {
            const auto from = data.begin() + static_cast<std::ptrdiff_t>(pos - offset);
            const auto to = data.begin() + static_cast<std::ptrdiff_t>(stop - offset);
            segments_.emplace_hint(next, pos, std::vector<std::byte>(from, to));
            added += stop - pos;
        }
        if (next == segments_.end()) break;
        pos = std::max<std::uint64_t>(pos, next->first + next->second.size());
        ++next;
    }
    bytes_ += added;
    return added;
}

std::uint64_t SegmentBuffer::end_offset() const {
    if (segments_.empty()) return 0;
    const auto& last = *segments_.rbegin();
    return last.first + last.second.size();
}

std::optional<std::vector<std::byte>> SegmentBuffer::take_at(std::uint64_t offset) {
    const auto it = segments_.find(offset);
    if (it == segments_.end()) return std::nullopt;
    std::vector<std::byte> out = std::move(it->second);
    segments_.erase(it);
    bytes_ -= out.size();
    return out;
}

void SegmentBuffer::drop_before(std::uint64_t offset) {
    while (!segments_.empty() && segments_.begin()->first < offset) {
        auto node = segments_.extract(segments_.begin());
        auto& data = node.mapped();
        bytes_ -= data.size();
        const std::uint64_t end = node.key() + data.size();
        if (end > offset) {  // keep the tail that lies past the cut
            std::vector<std::byte> tail(data.end() - static_cast<std::ptrdiff_t>(end - offset), data.end());
            bytes_ += tail.size();
            segments_.emplace(offset, std::move(tail));
        }
    }
}

void SegmentBuffer::clear() {
    segments_.clear();
    bytes_ = 0;
}

std::vector<std::byte> SegmentBuffer::concatenate() const {
    std::vector<std::byte> out;
    out.reserve(bytes_);
    for (const auto& [offset, data] : segments_) out.insert(out.end(), data.begin(), data.end());
    return out;
}

}  // namespace capture
