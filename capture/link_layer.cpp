#include "capture/link_layer.hpp"

#include <pcap/pcap.h>

#include <cstdio>

#include "capture/bytes.hpp"

namespace capture {
namespace {

constexpr std::uint16_t ethertype_ipv4 = 0x0800;
constexpr std::uint16_t ethertype_ipv6 = 0x86dd;
constexpr std::uint16_t ethertype_vlan = 0x8100;
constexpr std::uint16_t ethertype_qinq = 0x88a8;
constexpr std::uint16_t ethertype_qinq_old = 0x9100;

// libpcap maps LINKTYPE_RAW (101) to DLT_RAW, which is 12 on most systems and 14 on
// OpenBSD; accept every spelling in case a caller hands us the file's LINKTYPE directly.
constexpr int linktype_raw = 101;
constexpr int dlt_raw_openbsd = 14;

// BSD loopback address families: AF_INET is 2 everywhere, AF_INET6 differs per BSD.
constexpr std::uint32_t af_inet = 2;
constexpr bool is_af_inet6(std::uint32_t af) { return af == 24 || af == 28 || af == 30; }

LinkResult bad(const char* category, std::string reason) {
    LinkResult r;
    r.verdict = Verdict::Bad;
    r.category = category;
    r.reason = std::move(reason);
    return r;
}

LinkResult other(const char* category, std::string reason) {
    LinkResult r = bad(category, std::move(reason));
    r.verdict = Verdict::Other;
    return r;
}

LinkResult ip(NetProto proto, Bytes payload) {
    LinkResult r;
    r.verdict = Verdict::Ok;
    r.proto = proto;
    r.payload = payload;
    return r;
}

std::string hex16(std::uint16_t v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%04x", v);
    return buf;
}

std::string truncated(const char* what, std::size_t got, std::size_t need) {
    return "truncated " + std::string(what) + " header: " + std::to_string(got) + " of " +
           std::to_string(need) + " bytes";
}

// Shared by Ethernet and Linux cooked captures: when `type` is a VLAN tag type, the frame
// continues at `pos` with a 4-byte tag (TCI, then the next ethertype), possibly stacked.
LinkResult after_ethertype(Bytes frame, std::uint16_t type, std::size_t pos, const char* what) {
    for (int depth = 0;; ++depth) {
        if (type != ethertype_vlan && type != ethertype_qinq && type != ethertype_qinq_old) break;
        if (depth == max_vlan_depth)
            return bad("vlan-too-deep", "more than " + std::to_string(max_vlan_depth) + " VLAN tags");
        if (frame.size() < pos + 4) return bad("truncated-vlan", truncated("VLAN", frame.size() - pos, 4));
        type = be16(frame, pos + 2);
        pos += 4;
    }
    if (type == ethertype_ipv4) return ip(NetProto::Ipv4, frame.subspan(pos));
    if (type == ethertype_ipv6) return ip(NetProto::Ipv6, frame.subspan(pos));
    return other("non-ip", std::string(what) + " frame of type " + hex16(type) + ", not IP");
}

LinkResult decode_ethernet(Bytes frame) {
    constexpr std::size_t header = 14;  // dst mac, src mac, ethertype
    if (frame.size() < header) return bad("truncated-ethernet", truncated("Ethernet", frame.size(), header));
    return after_ethertype(frame, be16(frame, 12), header, "Ethernet");
}

LinkResult decode_sll(Bytes frame) {
    constexpr std::size_t header = 16;  // pkttype, hatype, halen, addr[8], protocol
    if (frame.size() < header) return bad("truncated-sll", truncated("Linux cooked (SLL)", frame.size(), header));
    return after_ethertype(frame, be16(frame, 14), header, "Linux cooked");
}

LinkResult decode_sll2(Bytes frame) {
    constexpr std::size_t header = 20;  // protocol, reserved, ifindex, hatype, pkttype, halen, addr[8]
    if (frame.size() < header) return bad("truncated-sll2", truncated("Linux cooked (SLL2)", frame.size(), header));
    return after_ethertype(frame, be16(frame, 0), header, "Linux cooked v2");
}

LinkResult decode_raw(Bytes frame, int link_type) {
    if (link_type == DLT_IPV4) return ip(NetProto::Ipv4, frame);
    if (link_type == DLT_IPV6) return ip(NetProto::Ipv6, frame);
    if (frame.empty()) return bad("truncated-raw", "empty raw IP packet");
    const int version = u8(frame, 0) >> 4;
    if (version == 4) return ip(NetProto::Ipv4, frame);
    if (version == 6) return ip(NetProto::Ipv6, frame);
    return bad("bad-ip-version", "raw IP packet with IP version " + std::to_string(version));
}

// DLT_NULL stores the family in the capturing host's byte order, DLT_LOOP in network order;
// captures travel between machines, so both readings are tried for both types.
LinkResult decode_bsd_loopback(Bytes frame) {
    constexpr std::size_t header = 4;
    if (frame.size() < header) return bad("truncated-loopback", truncated("BSD loopback", frame.size(), header));
    const std::uint32_t be = be32(frame, 0), le = le32(frame, 0);
    if (be == af_inet || le == af_inet) return ip(NetProto::Ipv4, frame.subspan(header));
    if (is_af_inet6(be) || is_af_inet6(le)) return ip(NetProto::Ipv6, frame.subspan(header));
    const std::uint32_t family = le < be ? le : be;
    return other("non-ip", "BSD loopback address family " + std::to_string(family));
}

}  // namespace

bool link_type_supported(int link_type) {
    switch (link_type) {
    case DLT_NULL: case DLT_EN10MB: case DLT_RAW: case dlt_raw_openbsd: case linktype_raw:
    case DLT_LOOP: case DLT_LINUX_SLL: case DLT_LINUX_SLL2: case DLT_IPV4: case DLT_IPV6:
        return true;
    default:
        return false;
    }
}

std::string link_type_name(int link_type) {
    const char* name = pcap_datalink_val_to_name(link_type);
    const char* description = pcap_datalink_val_to_description(link_type);
    if (name == nullptr) return std::to_string(link_type);
    std::string out = std::string(name) + " (" + std::to_string(link_type);
    if (description != nullptr) out += ", " + std::string(description);
    return out + ")";
}

LinkResult decode_link(int link_type, std::span<const std::byte> frame) {
    switch (link_type) {
    case DLT_EN10MB: return decode_ethernet(frame);
    case DLT_LINUX_SLL: return decode_sll(frame);
    case DLT_LINUX_SLL2: return decode_sll2(frame);
    case DLT_NULL: case DLT_LOOP: return decode_bsd_loopback(frame);
    case DLT_RAW: case dlt_raw_openbsd: case linktype_raw: case DLT_IPV4: case DLT_IPV6:
        return decode_raw(frame, link_type);
    default:
        return bad("unsupported-link-type", "unsupported link type " + link_type_name(link_type));
    }
}

}  // namespace capture
