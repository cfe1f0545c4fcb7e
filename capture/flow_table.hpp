// The connections of a capture, keyed by 5-tuple in either direction. Decides who is the
// client, creates a Flow per connection (ids 1, 2, ... in order of first appearance),
// runs TCP reassembly in front of it, and closes flows that end, go idle, or must make
// room. Memory is bounded by max_connections times the reassembly limits.
#pragma once

#include <cstdint>
#include <list>
#include <unordered_map>
#include <memory>
#include <vector>

#include "capture/flow.hpp"
#include "capture/ip_layer.hpp"
#include "capture/tcp_reassembler.hpp"

namespace capture {

struct FlowLimits {
    decoder::Micros idle_timeout = 300'000'000;  // capture time without packets
    std::size_t max_connections = 4096;          // the least recently used is evicted
    ReassemblyLimits reassembly;
};

struct FlowTuple {
    IpAddress src, dst;
    std::uint16_t src_port = 0, dst_port = 0;
};

struct FlowTableStats {
    std::uint64_t connections = 0;    // flows opened
    std::uint64_t evicted_idle = 0;   // closed with Timeout after idle_timeout
    std::uint64_t evicted_full = 0;   // closed with Timeout to respect max_connections
    std::uint64_t after_close = 0;    // TCP packets of a connection already closed
    std::uint64_t stray_acks = 0;     // bare TCP ACKs of no known connection (no flow made)
};

class FlowTable {
public:
    FlowTable(FlowFactory& factory, FlowLimits limits = {}) : factory_(factory), limits_(limits) {}
    ~FlowTable();
    FlowTable(const FlowTable&) = delete;
    FlowTable& operator=(const FlowTable&) = delete;

    void on_udp(const FlowTuple& tuple, Bytes payload, decoder::Micros ts);
    void on_tcp(const FlowTuple& tuple, const TcpSegment& segment, decoder::Micros ts);
    // Closes flows idle for longer than idle_timeout at `now` (Timeout).
    void expire(decoder::Micros now);
    // End of input: every open flow, in id order, flushes and gets finish(CaptureEnd).
    void finish(decoder::Micros ts);

    std::size_t size() const { return entries_.size(); }
    const FlowTableStats& stats() const { return stats_; }

private:
    struct Key {
        std::uint8_t protocol = 0;
        IpAddress a, b;  // (a, port_a) <= (b, port_b): one key for both directions
        std::uint16_t port_a = 0, port_b = 0;
        friend bool operator==(const Key&, const Key&) = default;
    };
    // A hash table, not a tree: a lookup per packet compared 5-tuples byte by byte down a
    // std::map (about 19 memcmp calls per UDP packet). Nothing depends on the order of the
    // flows in it: finish() sorts them by id.
    struct KeyHash {
        std::size_t operator()(const Key& k) const noexcept;
    };
    // The LRU list keeps each entry's last_seen too, so that the check for idle flows made
    // on every packet needs no map lookup.
    struct LruItem {
        Key key;
        decoder::Micros last_seen = 0;
    };
    struct Entry {
        std::uint64_t id = 0;
        IpAddress client;
        std::uint16_t client_port = 0;
        std::unique_ptr<Flow> flow;          // null once closed: a tombstone that absorbs
        std::unique_ptr<TcpReassembler> tcp; // the trailing ACKs and FINs of the connection
        decoder::Micros last_seen = 0;
        std::list<LruItem>::iterator lru;    // position in lru_, most recent at the front
    };
    using Map = std::unordered_map<Key, Entry, KeyHash>;

    static Key key_of(std::uint8_t protocol, const FlowTuple& t);
    Map::iterator create(const Key& key, const FlowTuple& t, bool sender_is_client, decoder::Transport transport,
                  bool handshake, decoder::Micros ts);
    void touch(Entry& e, decoder::Micros ts);
    decoder::Dir dir_of(const Entry& e, const FlowTuple& t) const;
    void close(Entry& e, decoder::CloseHow how, decoder::Micros ts);
    void erase(Map::iterator it);
    void make_room(decoder::Micros ts);
    void after_tcp(Map::iterator it, decoder::Micros ts);
    bool starts_new_connection(const Entry& e, const FlowTuple& t, const TcpSegment& s) const;

    FlowFactory& factory_;
    FlowLimits limits_;
    Map entries_;
    std::list<LruItem> lru_;
    std::uint64_t next_id_ = 1;
    FlowTableStats stats_;
};

}  // namespace capture
