#include "capture/transport_layer.hpp"

namespace capture {
namespace {

constexpr std::size_t udp_header = 8;
constexpr std::size_t tcp_min_header = 20;

TransportResult bad(const char* category, std::string reason) {
    TransportResult r;
    r.category = category;
    r.reason = std::move(reason);
    return r;
}

std::string n(std::size_t v) { return std::to_string(v); }

}  // namespace

TransportResult decode_udp(Bytes data, std::uint32_t missing) {
    if (data.size() < udp_header)
        return bad("truncated-udp", "truncated UDP header: " + n(data.size()) + " of 8 bytes");
    std::size_t length = be16(data, 4);
    if (length == 0 && missing == 0) length = data.size();  // IPv6 jumbogram convention
    if (length < udp_header) return bad("bad-udp-length", "UDP length " + n(length) + " shorter than its header");
    if (length > data.size()) {
        if (missing != 0)
            return bad("snapped-udp", "UDP datagram cut short by the capture's snaplen: " + n(data.size()) +
                                          " of " + n(length) + " bytes captured");
        return bad("udp-length-beyond-packet",
                   "UDP length " + n(length) + " beyond the " + n(data.size()) + " bytes of the packet");
    }
    TransportResult r;
    r.verdict = Verdict::Ok;
    r.src_port = be16(data, 0);
    r.dst_port = be16(data, 2);
    r.segment.payload = data.subspan(udp_header, length - udp_header);
    return r;
}

TransportResult decode_tcp(Bytes data, std::uint32_t missing) {
    if (data.size() < tcp_min_header)
        return bad("truncated-tcp", "truncated TCP header: " + n(data.size()) + " of 20 bytes");
    const std::size_t header = static_cast<std::size_t>(u8(data, 12) >> 4) * 4;
    if (header < tcp_min_header) return bad("bad-tcp-header-length", "TCP header length " + n(header) + " < 20");
    if (header > data.size())
        return bad("truncated-tcp", "truncated TCP header: " + n(data.size()) + " of " + n(header) + " bytes");
    TransportResult r;
    r.verdict = Verdict::Ok;
    r.src_port = be16(data, 0);
    r.dst_port = be16(data, 2);
    TcpSegment& s = r.segment;
    s.seq = be32(data, 4);
    s.ack = be32(data, 8);
    const std::uint8_t flags = u8(data, 13);
    s.fin = (flags & 0x01) != 0;
    s.syn = (flags & 0x02) != 0;
    s.rst = (flags & 0x04) != 0;
    s.ack_flag = (flags & 0x10) != 0;
    s.payload = data.subspan(header);
    s.missing = missing;
    return r;
}

}  // namespace capture
