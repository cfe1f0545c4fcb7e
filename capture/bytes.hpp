// Bounds-unchecked big/little-endian loads for header fields. Callers check the length
// first; these exist so the checks, not the shifting, are what a reader sees.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace capture {

using Bytes = std::span<const std::byte>;

inline std::uint8_t u8(Bytes b, std::size_t at) { return static_cast<std::uint8_t>(b[at]); }

inline std::uint16_t be16(Bytes b, std::size_t at) {
    return static_cast<std::uint16_t>((u8(b, at) << 8) | u8(b, at + 1));
}

inline std::uint32_t be32(Bytes b, std::size_t at) {
    return (std::uint32_t{be16(b, at)} << 16) | be16(b, at + 2);
}

inline std::uint32_t le32(Bytes b, std::size_t at) {
    return std::uint32_t{u8(b, at)} | (std::uint32_t{u8(b, at + 1)} << 8) |
           (std::uint32_t{u8(b, at + 2)} << 16) | (std::uint32_t{u8(b, at + 3)} << 24);
}

}  // namespace capture
