#include "capture/ip_layer.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>

namespace capture {
namespace {

constexpr std::size_t ipv4_min_header = 20;
constexpr std::size_t ipv6_header = 40;
constexpr int max_ipv6_extensions = 8;  // more is a crafted packet, not a SIP server

constexpr std::uint8_t ext_hop_by_hop = 0;
constexpr std::uint8_t ext_routing = 43;
constexpr std::uint8_t ext_fragment = 44;
constexpr std::uint8_t ext_esp = 50;
constexpr std::uint8_t ext_auth = 51;
constexpr std::uint8_t ext_none = 59;
constexpr std::uint8_t ext_dest_opts = 60;

IpResult bad(const char* category, std::string reason, Verdict verdict = Verdict::Bad) {
    IpResult r;
    r.verdict = verdict;
    r.category = category;
    r.reason = std::move(reason);
    return r;
}

IpResult ok(IpPacket packet) {
    IpResult r;
    r.verdict = Verdict::Ok;
    r.packet = packet;
    return r;
}

std::string n(std::size_t v) { return std::to_string(v); }

IpAddress address(Bytes b, std::size_t at, bool v6) {
    IpAddress a;
    a.v6 = v6;
    std::transform(b.begin() + at, b.begin() + at + (v6 ? 16 : 4), a.bytes.begin(),
                   [](std::byte x) { return static_cast<std::uint8_t>(x); });
    return a;
}

// Applies the header's length to the captured bytes: trims link padding, or records the
// snapped part as missing. Returns false when the length cannot be right.
bool fit_length(std::size_t declared, Bytes& body, bool snapped, std::uint32_t& missing) {
    if (declared <= body.size()) {
        body = body.first(declared);
        return true;
    }
    if (!snapped) return false;
    missing = static_cast<std::uint32_t>(declared - body.size());
    return true;
}

IpResult decode_ipv4(Bytes b, bool snapped) {
    if (b.size() < ipv4_min_header)
        return bad("truncated-ipv4", "truncated IPv4 header: " + n(b.size()) + " of 20 bytes");
    if ((u8(b, 0) >> 4) != 4) return bad("bad-ip-version", "IP version " + n(u8(b, 0) >> 4) + " in an IPv4 frame");
    const std::size_t ihl = std::size_t{u8(b, 0) & 0x0fu} * 4;
    if (ihl < ipv4_min_header) return bad("bad-ipv4-header-length", "IPv4 header length " + n(ihl) + " < 20");
    if (b.size() < ihl)
        return bad("truncated-ipv4", "truncated IPv4 header: " + n(b.size()) + " of " + n(ihl) + " bytes");
    std::size_t total = be16(b, 2);
    if (total == 0) total = b.size();  // segmentation offload: the NIC fills it in later
    if (total < ihl)
        return bad("bad-ipv4-total-length", "IPv4 total length " + n(total) + " shorter than its header (" + n(ihl) + ")");
    IpPacket p;
    Bytes body = b;
    if (!fit_length(total, body, snapped, p.missing))
        return bad("ipv4-length-beyond-packet",
                   "IPv4 total length " + n(total) + " beyond the " + n(b.size()) + " bytes of the packet");
    p.src = address(b, 12, false);
    p.dst = address(b, 16, false);
    p.protocol = u8(b, 9);
    p.payload = body.subspan(ihl);
    const std::uint16_t frag = be16(b, 6);
    p.more_fragments = (frag & 0x2000) != 0;
    p.frag_offset = std::uint32_t{frag & 0x1fffu} * 8;
    p.fragment = p.more_fragments || p.frag_offset != 0;
    p.frag_id = be16(b, 4);
    return ok(p);
}

// Reads one extension header at the front of `data`; false when it is cut short.
bool ipv6_extension(std::uint8_t type, Bytes& data, std::uint8_t& next, IpPacket& p) {
    if (data.size() < 8) return false;
    std::size_t len = 8;
    if (type == ext_auth) len = (std::size_t{u8(data, 1)} + 2) * 4;
    else if (type != ext_fragment) len = (std::size_t{u8(data, 1)} + 1) * 8;
    if (data.size() < len) return false;
    if (type == ext_fragment) {
        const std::uint16_t off = be16(data, 2);
        p.frag_offset = off & 0xfff8u;
        p.more_fragments = (off & 1u) != 0;
        p.frag_id = be32(data, 4);
        p.fragment = p.more_fragments || p.frag_offset != 0;  // else an "atomic" fragment
    }
    next = u8(data, 0);
    data = data.subspan(len);
    return true;
}

IpResult walk_ipv6(IpPacket p, std::uint8_t next, Bytes data, bool allow_fragment) {
    for (int i = 0; i <= max_ipv6_extensions; ++i) {
        const bool known = next == ext_hop_by_hop || next == ext_routing || next == ext_dest_opts ||
                           next == ext_fragment || next == ext_auth;
        if (!known) break;
        if (i == max_ipv6_extensions) return bad("ipv6-too-many-extensions", "more than 8 IPv6 extension headers");
        if (next == ext_fragment && !allow_fragment)
            return bad("ipv6-nested-fragment", "IPv6 Fragment header inside a reassembled datagram");
        if (!ipv6_extension(next, data, next, p))
            return bad("truncated-ipv6-extension", "truncated IPv6 extension header (type " + n(next) + ")");
        // The fragmentable part of a fragment is only walked after reassembly.
        if (p.fragment) break;
    }
    if (!p.fragment && next == ext_none) return bad("non-ip", "IPv6 packet with no next header", Verdict::Other);
    if (!p.fragment && next == ext_esp) return bad("non-ip", "IPv6 ESP (encrypted) packet", Verdict::Other);
    p.protocol = next;
    p.payload = data;
    return ok(p);
}

IpResult decode_ipv6(Bytes b, bool snapped) {
    if (b.size() < ipv6_header)
        return bad("truncated-ipv6", "truncated IPv6 header: " + n(b.size()) + " of 40 bytes");
    if ((u8(b, 0) >> 4) != 6) return bad("bad-ip-version", "IP version " + n(u8(b, 0) >> 4) + " in an IPv6 frame");
    std::size_t payload_len = be16(b, 4);
    if (payload_len == 0) payload_len = b.size() - ipv6_header;  // offload, as for IPv4
    IpPacket p;
    Bytes body = b.subspan(ipv6_header);
    if (!fit_length(payload_len, body, snapped, p.missing))
        return bad("ipv6-length-beyond-packet", "IPv6 payload length " + n(payload_len) + " beyond the " +
                                                    n(b.size() - ipv6_header) + " bytes after the header");
    p.src = address(b, 8, true);
    p.dst = address(b, 24, true);
    return walk_ipv6(p, u8(b, 6), body, true);
}

}  // namespace

std::string IpAddress::to_string() const {
    // IPv4 in dotted decimal as inet_ntop writes it, without its cost (some 1,700
    // instructions a call, two calls a flow); IPv6, with its zero compression, is left to it.
    if (!v6) {
        char text[16];  // "255.255.255.255"
        char* p = text;
        for (std::size_t i = 0; i < 4; ++i) {
            if (i != 0) *p++ = '.';
            const unsigned v = bytes[i];
            if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
            if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
            *p++ = static_cast<char>('0' + v % 10);
        }
        return std::string(text, p);
    }
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
    return buf;
}

IpResult decode_ip(NetProto proto, Bytes packet, bool snapped) {
    return proto == NetProto::Ipv4 ? decode_ipv4(packet, snapped) : decode_ipv6(packet, snapped);
}

IpResult ipv6_upper_layer(const IpPacket& base, std::uint8_t next, Bytes data) {
    IpPacket p = base;
    p.fragment = p.more_fragments = false;
    p.frag_offset = p.frag_id = 0;
    p.missing = 0;
    return walk_ipv6(p, next, data, false);
}

}  // namespace capture
