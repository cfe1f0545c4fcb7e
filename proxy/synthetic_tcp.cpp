#include "proxy/synthetic_tcp.hpp"

#include <arpa/inet.h>
#include <random>

namespace proxy {

using decoder::Dir;

namespace {

constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
constexpr std::size_t kMss = 1460;

// Returns 4 or 16 (address length), 0 if not an IP literal.
std::size_t parse_ip(const std::string& text, std::array<std::uint8_t, 16>& out) {
    if (::inet_pton(AF_INET, text.c_str(), out.data()) == 1) return 4;
    if (::inet_pton(AF_INET6, text.c_str(), out.data()) == 1) return 16;
    return 0;
}

void put16(std::vector<std::uint8_t>& b, std::uint16_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
}
void put32(std::vector<std::uint8_t>& b, std::uint32_t v) {
    put16(b, static_cast<std::uint16_t>(v >> 16));
    put16(b, static_cast<std::uint16_t>(v));
}

// Ones' complement sum of 16-bit big-endian words, continuing `sum`.
std::uint32_t sum16(std::span<const std::uint8_t> b, std::uint32_t sum = 0) {
    for (std::size_t i = 0; i + 1 < b.size(); i += 2) sum += static_cast<std::uint32_t>(b[i] << 8 | b[i + 1]);
    if (b.size() % 2) sum += static_cast<std::uint32_t>(b.back() << 8);
    return sum;
}
std::uint16_t fold(std::uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}
void set16(std::vector<std::uint8_t>& b, std::size_t at, std::uint16_t v) {
    b[at] = static_cast<std::uint8_t>(v >> 8);
    b[at + 1] = static_cast<std::uint8_t>(v);
}

}  // namespace

SyntheticTcp::SyntheticTcp(PcapngWriter& out, const decoder::Endpoint& client, const decoder::Endpoint& server,
                           decoder::Micros now)
    : out_(out) {
    const std::size_t a = parse_ip(client.ip, client_.ip), b = parse_ip(server.ip, server_.ip);
    ok_ = a != 0 && a == b;
    v6_ = a == 16;
    client_.port = client.port;
    server_.port = server.port;
    std::random_device rd;
    client_.next_seq = rd();
    server_.next_seq = rd();
    if (!ok_) return;
    emit(Dir::ClientToServer, kSyn, {}, now);
    ++client_.next_seq;
    emit(Dir::ServerToClient, kSyn | kAck, {}, now);
    ++server_.next_seq;
    emit(Dir::ClientToServer, kAck, {}, now);
}

void SyntheticTcp::data(Dir dir, std::span<const std::byte> payload, decoder::Micros now) {
    if (!ok_ || from(dir).closed) return;
    const std::span<const std::uint8_t> bytes{reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()};
    for (std::size_t at = 0; at < bytes.size(); at += kMss) {
        const auto segment = bytes.subspan(at, std::min(kMss, bytes.size() - at));
        emit(dir, kPsh | kAck, segment, now);
        from(dir).next_seq += static_cast<std::uint32_t>(segment.size());
        emit(decoder::reverse(dir), kAck, {}, now);
    }
}

void SyntheticTcp::fin(Dir dir, decoder::Micros now) {
    if (!ok_ || from(dir).closed) return;
    emit(dir, kFin | kAck, {}, now);
    ++from(dir).next_seq;
    from(dir).closed = true;
    emit(decoder::reverse(dir), kAck, {}, now);  // the peer acknowledges the FIN
}

void SyntheticTcp::rst(Dir dir, decoder::Micros now) {
    if (!ok_ || (from(dir).closed && to(dir).closed)) return;
    emit(dir, kRst | kAck, {}, now);
    from(dir).closed = to(dir).closed = true;
}

void SyntheticTcp::emit(Dir dir, std::uint8_t flags, std::span<const std::uint8_t> payload, decoder::Micros now) {
    const Side& src = from(dir);
    const Side& dst = to(dir);
    const std::size_t alen = v6_ ? 16 : 4;
    std::vector<std::uint8_t> f;
    f.reserve(14 + 40 + 20 + payload.size());
    // Ethernet: locally administered MACs, 02:00:00:00:00:01 for the client, ...:02 for the server.
    const std::uint8_t client_mac = 1, server_mac = 2;
    const bool c2s = dir == Dir::ClientToServer;
    for (std::uint8_t last : {c2s ? server_mac : client_mac, c2s ? client_mac : server_mac})
        f.insert(f.end(), {0x02, 0, 0, 0, 0, last});
    put16(f, v6_ ? 0x86DD : 0x0800);
    const std::size_t ip_at = f.size();
    const auto tcp_len = static_cast<std::uint16_t>(20 + payload.size());
    if (v6_) {
        put32(f, 0x60000000);
        put16(f, tcp_len);
        f.push_back(6);   // next header: TCP
        f.push_back(64);  // hop limit
    } else {
        f.push_back(0x45);
        f.push_back(0);
        put16(f, static_cast<std::uint16_t>(20 + tcp_len));
        put16(f, ip_id_++);
        put16(f, 0x4000);  // don't fragment
        f.push_back(64);
        f.push_back(6);
        put16(f, 0);  // checksum, below
    }
    f.insert(f.end(), src.ip.begin(), src.ip.begin() + static_cast<long>(alen));
    f.insert(f.end(), dst.ip.begin(), dst.ip.begin() + static_cast<long>(alen));
    if (!v6_) set16(f, ip_at + 10, fold(sum16({f.data() + ip_at, 20})));
    const std::size_t tcp_at = f.size();
    put16(f, src.port);
    put16(f, dst.port);
    put32(f, src.next_seq);
    put32(f, (flags & kAck) ? dst.next_seq : 0);
    f.push_back(0x50);  // 20-byte header
    f.push_back(flags);
    put16(f, 65535);  // window
    put16(f, 0);      // checksum, below
    put16(f, 0);      // urgent pointer
    f.insert(f.end(), payload.begin(), payload.end());
    // Pseudo-header: addresses, protocol, TCP length.
    std::uint32_t sum = sum16({src.ip.data(), alen});
    sum = sum16({dst.ip.data(), alen}, sum);
    sum += 6u + tcp_len;
    set16(f, tcp_at + 16, fold(sum16({f.data() + tcp_at, f.size() - tcp_at}, sum)));
    out_.write_frame(now, f);
}

}  // namespace proxy
