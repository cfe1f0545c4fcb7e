// Link-layer decoding: finds the IP packet inside a frame of a supported libpcap link type.
// A view, never a copy: the returned payload points into the frame.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace capture {

enum class NetProto { Ipv4, Ipv6 };

// Ok: payload is an IP packet. Other: a well-formed frame that is not IP (ARP, LLDP, ...),
// counted but not an error. Bad: the frame is malformed or cut short.
enum class Verdict { Ok, Other, Bad };

struct LinkResult {
    Verdict verdict = Verdict::Bad;
    NetProto proto = NetProto::Ipv4;
    std::span<const std::byte> payload;
    const char* category = "";  // short, fixed text for counters ("truncated-ethernet")
    std::string reason;         // one line for humans, with the numbers
};

// VLAN tags (802.1Q 0x8100, 802.1ad 0x88a8, old QinQ 0x9100) deeper than this are treated
// as garbage: real networks stack two, rarely three.
inline constexpr int max_vlan_depth = 8;

// True for the link types decode_link understands (see link_layer.cpp for the list).
bool link_type_supported(int link_type);

// "EN10MB (1, Ethernet)", or just the number for types libpcap has no name for.
std::string link_type_name(int link_type);

LinkResult decode_link(int link_type, std::span<const std::byte> frame);

}  // namespace capture
