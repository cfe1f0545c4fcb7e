#include "capture/flow_table.hpp"

#include <algorithm>
#include <cstring>
#include <tuple>

namespace capture {

using decoder::CloseHow;
using decoder::Dir;
using decoder::Micros;

namespace {

bool is_sip_port(std::uint16_t port) { return port == 5060 || port == 5061; }

// Who opened a TCP connection whose SYN we may not have seen. The SIP port marks the
// server (that is what this tool is for), then a well-known port, else the first sender.
bool tcp_sender_is_client(const FlowTuple& t, const TcpSegment& s) {
    if (s.syn) return !s.ack_flag;
    if (is_sip_port(t.src_port) != is_sip_port(t.dst_port)) return is_sip_port(t.dst_port);
    const bool src_well_known = t.src_port < 1024, dst_well_known = t.dst_port < 1024;
    if (src_well_known != dst_well_known) return dst_well_known;
    return true;
}

// UDP has no opener: the first sender is the client, except a SIP server that speaks
// first (a request or response from 5060 to a client's ephemeral port).
bool udp_sender_is_client(const FlowTuple& t) { return !(is_sip_port(t.src_port) && !is_sip_port(t.dst_port)); }

decoder::Endpoint endpoint(const IpAddress& ip, std::uint16_t port) { return {ip.to_string(), port}; }

}  // namespace

FlowTable::~FlowTable() = default;

std::size_t FlowTable::KeyHash::operator()(const Key& k) const noexcept {
    // Each address as two 64-bit words (an IPv4 address fills the first four bytes), mixed
    // with the ports and protocol by multiply-and-fold steps (odd 64-bit constants).
    std::uint64_t words[4];
    std::memcpy(&words[0], k.a.bytes.data(), 16);
    std::memcpy(&words[2], k.b.bytes.data(), 16);
    std::uint64_t h = (std::uint64_t{k.protocol} << 40) ^ (std::uint64_t{k.port_a} << 16) ^ k.port_b ^
                      (std::uint64_t{k.a.v6} << 48) ^ (std::uint64_t{k.b.v6} << 49);
    for (const std::uint64_t w : words) {
        h = (h ^ w) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
    }
    return static_cast<std::size_t>(h);
}

FlowTable::Key FlowTable::key_of(std::uint8_t protocol, const FlowTuple& t) {
    Key k;
    k.protocol = protocol;
    const bool in_order = std::tie(t.src, t.src_port) <= std::tie(t.dst, t.dst_port);
    k.a = in_order ? t.src : t.dst;
    k.port_a = in_order ? t.src_port : t.dst_port;
    k.b = in_order ? t.dst : t.src;
    k.port_b = in_order ? t.dst_port : t.src_port;
    return k;
}

FlowTable::Map::iterator FlowTable::create(const Key& key, const FlowTuple& t, bool sender_is_client,
                                           decoder::Transport transport, bool handshake, Micros ts) {
    make_room(ts);
    Entry e;
    e.id = next_id_++;
    e.client = sender_is_client ? t.src : t.dst;
    e.client_port = sender_is_client ? t.src_port : t.dst_port;
    FlowInfo info;
    info.id = e.id;
    info.client = endpoint(e.client, e.client_port);
    info.server = sender_is_client ? endpoint(t.dst, t.dst_port) : endpoint(t.src, t.src_port);
    info.transport = transport;
    info.ts = ts;
    info.handshake_seen = handshake;
    e.flow = factory_.open(info);
    if (transport == decoder::Transport::Tcp) e.tcp = std::make_unique<TcpReassembler>(*e.flow, limits_.reassembly);
    e.last_seen = ts;
    lru_.push_front({key, ts});
    e.lru = lru_.begin();
    ++stats_.connections;
    return entries_.insert_or_assign(key, std::move(e)).first;
}

void FlowTable::touch(Entry& e, Micros ts) {
    e.last_seen = std::max(e.last_seen, ts);
    e.lru->last_seen = e.last_seen;
    lru_.splice(lru_.begin(), lru_, e.lru);
}

Dir FlowTable::dir_of(const Entry& e, const FlowTuple& t) const {
    return t.src == e.client && t.src_port == e.client_port ? Dir::ClientToServer : Dir::ServerToClient;
}

// Flushes reassembly (remaining holes become gaps, waiting FINs are delivered), then tells
// the flow; a flow that already reported its close ignores the second word.
void FlowTable::close(Entry& e, CloseHow how, Micros ts) {
    if (e.tcp) e.tcp->finish(ts);
    if (e.flow) e.flow->finish(how, ts);
    e.tcp.reset();
    e.flow.reset();
}

void FlowTable::erase(Map::iterator it) {
    lru_.erase(it->second.lru);
    entries_.erase(it);
}

void FlowTable::make_room(Micros ts) {
    while (!entries_.empty() && entries_.size() >= limits_.max_connections) {
        const auto it = entries_.find(lru_.back().key);
        if (it->second.flow) {
            ++stats_.evicted_full;
            close(it->second, CloseHow::Timeout, ts);
        }
        erase(it);
    }
}

void FlowTable::on_udp(const FlowTuple& t, Bytes payload, Micros ts) {
    const Key key = key_of(ip_proto_udp, t);
    auto it = entries_.find(key);
    if (it == entries_.end()) it = create(key, t, udp_sender_is_client(t), decoder::Transport::Udp, false, ts);
    Entry& e = it->second;
    touch(e, ts);
    e.flow->on_data(dir_of(e, t), payload, ts);
    if (e.flow->closed()) erase(it);  // a later datagram starts a new flow
}

// A SYN (without ACK) on a known 4-tuple is a new connection unless it retransmits the
// SYN of the one we track.
bool FlowTable::starts_new_connection(const Entry& e, const FlowTuple& t, const TcpSegment& s) const {
    if (!s.syn || s.ack_flag) return false;
    if (!e.flow) return true;
    if (dir_of(e, t) != Dir::ClientToServer) return true;
    const TcpReassembler& r = *e.tcp;
    if (r.syn_seen(Dir::ClientToServer)) return r.initial_seq(Dir::ClientToServer) != s.seq;
    // Only the SYN-ACK was captured so far: this is the client's SYN, retransmitted.
    return r.started(Dir::ClientToServer) || !r.syn_seen(Dir::ServerToClient);
}

void FlowTable::on_tcp(const FlowTuple& t, const TcpSegment& s, Micros ts) {
    const Key key = key_of(ip_proto_tcp, t);
    auto it = entries_.find(key);
    if (it != entries_.end() && starts_new_connection(it->second, t, s)) {
        Entry& old = it->second;
        if (old.flow) {
            const bool fin = old.tcp->fin_seen(Dir::ClientToServer) || old.tcp->fin_seen(Dir::ServerToClient);
            close(old, old.tcp->reset() ? CloseHow::Rst : fin ? CloseHow::Fin : CloseHow::Timeout, ts);
        }
        erase(it);
        it = entries_.end();
    }
    if (it == entries_.end()) {
        // A bare ACK tells nothing about a connection we have not seen; making a flow of it
        // would only add noise.
        if (!s.syn && !s.fin && !s.rst && s.payload.empty() && s.missing == 0) {
            ++stats_.stray_acks;
            return;
        }
        it = create(key, t, tcp_sender_is_client(t, s), decoder::Transport::Tcp, s.syn, ts);
    }
    touch(it->second, ts);
    if (!it->second.flow) {
        ++stats_.after_close;
        return;
    }
    it->second.tcp->on_segment(dir_of(it->second, t), s, ts);
    after_tcp(it, ts);
}

// When TCP says the connection is over, make sure the flow knows, then keep a tombstone.
void FlowTable::after_tcp(Map::iterator it, Micros ts) {
    Entry& e = it->second;
    if (!e.flow->closed()) {
        if (e.tcp->reset()) {
            e.flow->finish(CloseHow::Rst, ts);
        } else if (e.tcp->fin_delivered(Dir::ClientToServer) && e.tcp->fin_delivered(Dir::ServerToClient)) {
            e.flow->finish(CloseHow::Fin, ts);
        }
    }
    if (e.flow->closed()) {
        e.tcp.reset();
        e.flow.reset();
    }
}

void FlowTable::expire(Micros now) {
    while (!lru_.empty() && now - lru_.back().last_seen > limits_.idle_timeout) {
        const auto it = entries_.find(lru_.back().key);
        Entry& e = it->second;
        if (now - e.last_seen <= limits_.idle_timeout) break;
        if (e.flow) {
            ++stats_.evicted_idle;
            close(e, CloseHow::Timeout, e.last_seen + limits_.idle_timeout);
        }
        erase(it);
    }
}

void FlowTable::finish(Micros ts) {
    std::vector<Entry*> open;
    for (auto& [key, e] : entries_)
        if (e.flow) open.push_back(&e);
    std::sort(open.begin(), open.end(), [](const Entry* a, const Entry* b) { return a->id < b->id; });
    for (Entry* e : open) close(*e, CloseHow::CaptureEnd, ts);
    entries_.clear();
    lru_.clear();
}

}  // namespace capture
