#include "capture/ipv4_defragmenter.hpp"

#include <algorithm>
#include <cstdio>

namespace capture {
namespace {

std::string protocol_name(std::uint8_t p) {
    if (p == ip_proto_tcp) return "TCP";
    if (p == ip_proto_udp) return "UDP";
    return "protocol " + std::to_string(p);
}

}  // namespace

std::string Ipv4Defragmenter::describe(const Key& key) {
    char id[16];
    std::snprintf(id, sizeof id, "0x%x", key.id);
    return std::string(key.src.v6 ? "IPv6" : "IPv4") + " datagram " + key.src.to_string() + " -> " +
           key.dst.to_string() + " id " + id + " (" + protocol_name(key.protocol) + ")";
}

// Returns why the fragment cannot belong to a sane datagram, if it cannot.
std::optional<std::string> Ipv4Defragmenter::check(const Datagram& d, const IpPacket& f) const {
    const std::size_t end = std::size_t{f.frag_offset} + f.payload.size();
    if (f.missing != 0) return "fragment cut short by the capture's snaplen";
    if (end > limits_.max_size)
        return "fragment ends at byte " + std::to_string(end) + ", beyond the " +
               std::to_string(limits_.max_size) + "-byte limit";
    if (d.fragments >= limits_.max_fragments)
        return "more than " + std::to_string(limits_.max_fragments) + " fragments";
    if (!f.more_fragments && d.total && *d.total != end)
        return "two last fragments disagree on the length (" + std::to_string(*d.total) + " and " +
               std::to_string(end) + ")";
    const std::size_t limit = !f.more_fragments ? end : d.total.value_or(limits_.max_size);
    if (end > limit || (!f.more_fragments && d.data.end_offset() > end))
        return "fragment data beyond the end of the datagram";
    return std::nullopt;
}

DefragResult Ipv4Defragmenter::add(const IpPacket& f, decoder::Micros ts, std::uint64_t packet_no) {
    const Key key{f.src, f.dst, f.protocol, f.frag_id};
    auto it = datagrams_.find(key);
    if (it == datagrams_.end()) {
        if (datagrams_.size() >= limits_.max_datagrams) abandon_oldest("evicted: too many datagrams in flight");
        it = datagrams_.emplace(key, Datagram{}).first;
        it->second.first_ts = ts;
        it->second.first_packet = packet_no;
    }
    Datagram& d = it->second;
    DefragResult result;
    if (auto problem = check(d, f)) {
        result.status = DefragStatus::Bad;
        result.reason = describe(key) + " dropped: " + *problem;
        datagrams_.erase(it);
        return result;
    }
    ++d.fragments;
    if (!f.more_fragments) d.total = std::size_t{f.frag_offset} + f.payload.size();
    d.data.insert(f.frag_offset, f.payload);
    // Ranges never overlap, so the datagram is whole when the held bytes reach the total.
    if (d.total && d.data.bytes() == *d.total) {
        result.status = DefragStatus::Complete;
        result.payload = d.data.concatenate();
        datagrams_.erase(it);
    }
    return result;
}

void Ipv4Defragmenter::abandon(Map::iterator it, const char* why) {
    const Datagram& d = it->second;
    std::string got = "got " + std::to_string(d.data.bytes()) + " bytes";
    got += d.total ? " of " + std::to_string(*d.total) : " (last fragment never seen)";
    got += " in " + std::to_string(d.fragments) + (d.fragments == 1 ? " fragment" : " fragments");
    abandoned_.push_back({d.first_packet, d.first_ts, "incomplete " + describe(it->first) + ": " + got + ", " + why});
    datagrams_.erase(it);
}

void Ipv4Defragmenter::abandon_oldest(const char* why) {
    const auto oldest = std::min_element(datagrams_.begin(), datagrams_.end(), [](const auto& a, const auto& b) {
        return a.second.first_packet < b.second.first_packet;
    });
    if (oldest != datagrams_.end()) abandon(oldest, why);
}

void Ipv4Defragmenter::expire(decoder::Micros now) {
    const std::string why = "timed out after " + std::to_string(limits_.timeout / 1'000'000) + " s";
    for (auto it = datagrams_.begin(); it != datagrams_.end();) {
        const auto current = it++;
        if (now - current->second.first_ts > limits_.timeout) abandon(current, why.c_str());
    }
    std::sort(abandoned_.begin(), abandoned_.end(),
              [](const auto& a, const auto& b) { return a.first_packet < b.first_packet; });
}

void Ipv4Defragmenter::flush() {
    while (!datagrams_.empty()) abandon_oldest("still open at the end of the capture");
}

std::vector<AbandonedDatagram> Ipv4Defragmenter::take_abandoned() {
    std::vector<AbandonedDatagram> out;
    out.swap(abandoned_);
    return out;
}

}  // namespace capture
