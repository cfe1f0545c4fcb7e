// IPv4 and IPv6 header decoding. Views only: the payload points into the frame.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>

#include "capture/bytes.hpp"
#include "capture/link_layer.hpp"

namespace capture {

struct IpAddress {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4
    bool v6 = false;

    std::string to_string() const;  // "192.0.2.1", "2001:db8::1" (no brackets)
    friend bool operator==(const IpAddress&, const IpAddress&) = default;
    friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
};

inline constexpr std::uint8_t ip_proto_tcp = 6;
inline constexpr std::uint8_t ip_proto_udp = 17;

struct IpPacket {
    IpAddress src, dst;
    std::uint8_t protocol = 0;  // upper layer, after any IPv6 extension headers
    Bytes payload;              // the captured upper-layer bytes
    // Bytes the IP length promises beyond what was captured; only non-zero when the frame
    // was snapped (snaplen), so TCP can treat them as a hole rather than drop the segment.
    std::uint32_t missing = 0;

    // A fragment (IPv4 MF/offset, or an IPv6 Fragment header that is not atomic).
    bool fragment = false;
    bool more_fragments = false;
    std::uint32_t frag_offset = 0;  // in bytes
    std::uint32_t frag_id = 0;
};

struct IpResult {
    Verdict verdict = Verdict::Bad;
    IpPacket packet;
    const char* category = "";
    std::string reason;
};

// `snapped`: the capture cut the frame short (caplen < wire length), so an IP length beyond
// the captured bytes is expected; otherwise such a length is a malformed packet.
// IPv4 total length 0 (TCP segmentation offload on the capturing host) means "the captured
// bytes"; IPv6 payload length 0 likewise (jumbograms are not supported).
IpResult decode_ip(NetProto proto, Bytes packet, bool snapped);

// After IPv6 reassembly: walks the extension headers that followed the Fragment header
// (`next` is its Next Header) to the upper-layer protocol. `base` carries the addresses.
IpResult ipv6_upper_layer(const IpPacket& base, std::uint8_t next, Bytes data);

}  // namespace capture
