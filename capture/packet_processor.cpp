#include "capture/packet_processor.hpp"

#include <exception>

#include "capture/link_layer.hpp"
#include "capture/transport_layer.hpp"

namespace capture {

using decoder::Micros;

PacketProcessor::PacketProcessor(decoder::EventBus& bus, FlowFactory& flows, ProcessorOptions options)
    : bus_(bus), table_(flows, options.flows), defrag_(options.defrag) {}

void PacketProcessor::begin_input(std::string label) {
    label_ = std::move(label);
    frame_no_ = 0;
}

void PacketProcessor::on_packet(const RawPacket& packet) noexcept {
    try {
        process(packet);
    } catch (const std::exception& e) {
        // Only allocation can throw here; one bad packet must not end the run.
        bad(frame_no_, "internal-error", std::string("could not process: ") + e.what(), packet.ts);
    }
}

void PacketProcessor::advance_time(Micros now) noexcept {
    if (finished_) return;
    try {
        housekeeping(now);
    } catch (const std::exception&) {
        // Only allocation can fail; the next call tries again.
    }
}

void PacketProcessor::process(const RawPacket& packet) {
    ++stats_.packets;
    ++frame_no_;
    stats_.bytes += packet.data.size();
    last_ts_ = packet.ts;
    housekeeping(packet.ts);

    const LinkResult link = decode_link(packet.link_type, packet.data);
    if (link.verdict == Verdict::Other) return other(link.category);
    if (link.verdict == Verdict::Bad) return bad(frame_no_, link.category, link.reason, packet.ts);

    // The link header can be cut by the snaplen too, but then the IP header is missing
    // and decoding reports it; only IP lengths beyond the capture need to know.
    const bool snapped = packet.orig_len > packet.data.size();
    const IpResult ip = decode_ip(link.proto, link.payload, snapped);
    if (ip.verdict == Verdict::Other) return other(ip.category);
    if (ip.verdict == Verdict::Bad) return bad(frame_no_, ip.category, ip.reason, packet.ts);
    process_ip(ip.packet, packet.ts);
}

void PacketProcessor::process_ip(const IpPacket& ip, Micros ts) {
    if (!ip.fragment) return process_transport(ip, ts);  // the usual case: no copy of the packet
    IpPacket whole = ip;
    std::vector<std::byte> storage;  // owns a reassembled datagram for the rest of this call
    if (defragment(whole, storage, ts)) process_transport(whole, ts);
}

// True when `ip` now holds a whole datagram (its payload pointing into `storage`).
bool PacketProcessor::defragment(IpPacket& ip, std::vector<std::byte>& storage, Micros ts) {
    ++stats_.fragments;
    DefragResult r = defrag_.add(ip, ts, frame_no_);
    report_abandoned(ts);  // adding may have evicted an older datagram
    if (r.status == DefragStatus::Incomplete) return false;
    if (r.status == DefragStatus::Bad) {
        bad(frame_no_, "bad-fragment", r.reason, ts, &ip);
        return false;
    }
    ++stats_.reassembled;
    storage = std::move(r.payload);
    if (!ip.src.v6) {
        ip.payload = storage;
        ip.fragment = ip.more_fragments = false;
        return true;
    }
    // IPv6: more extension headers may follow the Fragment header.
    const IpResult up = ipv6_upper_layer(ip, ip.protocol, storage);
    if (up.verdict == Verdict::Other) other(up.category);
    if (up.verdict == Verdict::Bad) bad(frame_no_, up.category, up.reason, ts, &ip);
    if (up.verdict != Verdict::Ok) return false;
    ip = up.packet;
    return true;
}

void PacketProcessor::process_transport(const IpPacket& ip, Micros ts) {
    if (ip.protocol == ip_proto_udp) {
        const TransportResult udp = decode_udp(ip.payload, ip.missing);
        if (udp.verdict != Verdict::Ok) return bad(frame_no_, udp.category, udp.reason, ts, &ip);
        ++stats_.udp_datagrams;
        table_.on_udp({ip.src, ip.dst, udp.src_port, udp.dst_port}, udp.segment.payload, ts);
    } else if (ip.protocol == ip_proto_tcp) {
        const TransportResult tcp = decode_tcp(ip.payload, ip.missing);
        if (tcp.verdict != Verdict::Ok) return bad(frame_no_, tcp.category, tcp.reason, ts, &ip);
        ++stats_.tcp_segments;
        table_.on_tcp({ip.src, ip.dst, tcp.src_port, tcp.dst_port}, tcp.segment, ts);
    } else {
        other("not-tcp-udp");
    }
}

void PacketProcessor::housekeeping(Micros ts) {
    table_.expire(ts);
    if (defrag_.in_flight() != 0) {
        defrag_.expire(ts);
        report_abandoned(ts);
    }
}

void PacketProcessor::report_abandoned(Micros ts) {
    for (const AbandonedDatagram& d : defrag_.take_abandoned()) {
        ++stats_.incomplete_datagrams;
        bad(d.first_packet, "incomplete-datagram", d.reason, ts);
    }
}

void PacketProcessor::bad(std::uint64_t frame_no, const char* category, const std::string& reason, Micros ts,
                          const IpPacket* ip) {
    ++stats_.bad_packets;
    ++stats_.bad_by_reason[category];
    decoder::Event event;
    event.ts = ts;
    event.conn = 0;
    if (ip != nullptr) {
        event.src = {ip->src.to_string(), 0};  // ports unknown: the transport header is what failed
        event.dst = {ip->dst.to_string(), 0};
        event.transport = ip->protocol == ip_proto_udp ? decoder::Transport::Udp : decoder::Transport::Tcp;
    }
    std::string where = label_.empty() ? "packet " : label_ + " packet ";
    event.payload = decoder::Notice{"packet-error", where + std::to_string(frame_no) + ": " + reason};
    bus_.emit(std::move(event));
}

void PacketProcessor::other(const char* category) {
    ++stats_.other_packets;
    ++stats_.other_by_reason[category];
}

void PacketProcessor::finish(Micros ts) noexcept {
    if (finished_) return;
    finished_ = true;
    try {
        defrag_.flush();
        report_abandoned(ts);
        table_.finish(ts);
    } catch (const std::exception&) {
        // Only allocation can fail here, and then there is nothing better to do than stop.
    }
}

}  // namespace capture
