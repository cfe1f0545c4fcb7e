// From captured frames to connections: link -> IP (with defragmentation) -> UDP/TCP ->
// flow table. Frames it cannot decode are counted by reason and reported on the bus as
// a Notice{what: "packet-error"} with conn 0, so nothing is dropped silently; frames that
// are fine but not IP/UDP/TCP (ARP, ICMP, ...) are only counted.
//
// Typical use (file or live):
//     capture::ConnectionFlowFactory flows(bus);
//     capture::PacketProcessor processor(bus, flows);
//     processor.begin_input(name);   // optional; per file when reading several
//     ... processor.on_packet(packet) per frame ...
//     processor.finish(processor.last_ts());
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "capture/flow_table.hpp"
#include "capture/ip_layer.hpp"
#include "capture/ipv4_defragmenter.hpp"
#include "capture/packet.hpp"
#include "decoder/model/event_bus.hpp"

namespace capture {

struct ProcessorOptions {
    FlowLimits flows;
    DefragLimits defrag;
};

struct Stats {
    std::uint64_t packets = 0;        // frames seen
    std::uint64_t bytes = 0;          // captured bytes of those frames
    std::uint64_t bad_packets = 0;    // malformed or cut short: each one also a Notice
    std::uint64_t other_packets = 0;  // well-formed but not IP/UDP/TCP
    std::uint64_t udp_datagrams = 0;
    std::uint64_t tcp_segments = 0;
    std::uint64_t fragments = 0;      // IP fragments taken in
    std::uint64_t reassembled = 0;    // datagrams rebuilt from them
    std::uint64_t incomplete_datagrams = 0;  // fragments given up on (also reported)
    std::map<std::string, std::uint64_t> bad_by_reason;    // category -> count
    std::map<std::string, std::uint64_t> other_by_reason;
};

class PacketProcessor : public PacketHandler {
public:
    PacketProcessor(decoder::EventBus& bus, FlowFactory& flows, ProcessorOptions options = {});

    // A new file starts: frame numbers in notices restart at 1 and, when `label` is not
    // empty, notices read "<label> packet N: ..." so they point into the right file.
    // Connections and fragments carry on (split or rotated captures continue each other).
    void begin_input(std::string label);

    void on_packet(const RawPacket& packet) noexcept override;
    // Live capture on a quiet link: call now and then with the current time so idle
    // connections and stale fragments still time out when no packet arrives to do it.
    void advance_time(decoder::Micros now) noexcept;
    // End of input: incomplete fragments are reported, then every open connection gets
    // finish(CaptureEnd) in id order. Call once, with the last packet's time.
    void finish(decoder::Micros ts) noexcept;

    decoder::Micros last_ts() const { return last_ts_; }
    const Stats& stats() const { return stats_; }
    const FlowTableStats& flow_stats() const { return table_.stats(); }

private:
    void process(const RawPacket& packet);
    void process_ip(const IpPacket& ip, decoder::Micros ts);
    bool defragment(IpPacket& ip, std::vector<std::byte>& storage, decoder::Micros ts);
    void process_transport(const IpPacket& ip, decoder::Micros ts);
    void housekeeping(decoder::Micros ts);
    void report_abandoned(decoder::Micros ts);
    void bad(std::uint64_t frame_no, const char* category, const std::string& reason, decoder::Micros ts,
             const IpPacket* ip = nullptr);
    void other(const char* category);

    decoder::EventBus& bus_;
    FlowTable table_;
    Ipv4Defragmenter defrag_;
    Stats stats_;
    std::string label_;
    std::uint64_t frame_no_ = 0;  // within the current input
    decoder::Micros last_ts_ = 0;
    decoder::Micros last_expiry_ = 0;
    bool finished_ = false;
};

}  // namespace capture
