// Reassembles fragmented IP datagrams, keyed by (src, dst, protocol, id), in any order.
// Named for its main job; IPv6 fragments (Fragment extension header) go through it too,
// since the rules are the same (offset, more-fragments flag, id) and the key carries the
// address family. Bounded: datagrams in flight, bytes per datagram, fragments per datagram,
// and a timeout measured in capture time. A datagram that cannot be completed is never
// dropped silently: it comes back from take_abandoned() with the reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "capture/ip_layer.hpp"
#include "capture/segment_buffer.hpp"
#include "decoder/model/events.hpp"

namespace capture {

struct DefragLimits {
    std::size_t max_datagrams = 64;            // in flight at once; the oldest is evicted
    std::size_t max_size = 65535;              // IP's own limit on a datagram
    std::size_t max_fragments = 1024;          // per datagram: 64 KiB in 64-byte pieces
    decoder::Micros timeout = 30'000'000;      // Linux's ipfrag_time
};

enum class DefragStatus { Incomplete, Complete, Bad };

struct DefragResult {
    DefragStatus status = DefragStatus::Incomplete;
    std::vector<std::byte> payload;  // Complete: the whole upper-layer payload
    std::string reason;              // Bad: why the datagram was dropped
};

// A datagram given up on: timed out, evicted to make room, or still open at capture end.
struct AbandonedDatagram {
    std::uint64_t first_packet = 0;  // number of its first fragment in the capture
    decoder::Micros first_ts = 0;
    std::string reason;
};

class Ipv4Defragmenter {
public:
    explicit Ipv4Defragmenter(DefragLimits limits = {}) : limits_(limits) {}

    // `fragment` is a decoded IP packet with fragment == true.
    DefragResult add(const IpPacket& fragment, decoder::Micros ts, std::uint64_t packet_no);
    // Gives up on datagrams whose first fragment is older than the timeout at `now`.
    void expire(decoder::Micros now);
    // End of input: gives up on everything still open.
    void flush();
    // Datagrams given up on since the last call, oldest first.
    std::vector<AbandonedDatagram> take_abandoned();

    std::size_t in_flight() const { return datagrams_.size(); }

private:
    struct Key {
        IpAddress src, dst;
        std::uint8_t protocol = 0;
        std::uint32_t id = 0;
        friend auto operator<=>(const Key&, const Key&) = default;
    };
    struct Datagram {
        SegmentBuffer data;
        std::optional<std::size_t> total;  // known once the last fragment arrived
        std::size_t fragments = 0;
        decoder::Micros first_ts = 0;
        std::uint64_t first_packet = 0;
    };
    using Map = std::map<Key, Datagram>;

    std::optional<std::string> check(const Datagram& d, const IpPacket& f) const;
    void abandon(Map::iterator it, const char* why);
    void abandon_oldest(const char* why);
    static std::string describe(const Key& key);

    DefragLimits limits_;
    Map datagrams_;
    std::vector<AbandonedDatagram> abandoned_;
};

}  // namespace capture
