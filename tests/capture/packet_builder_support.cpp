#include "packet_builder_support.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace capture_test {
namespace {

void put8(Buf& b, std::uint32_t v) { b.push_back(static_cast<std::byte>(v & 0xff)); }
void put16(Buf& b, std::uint32_t v) { put8(b, v >> 8); put8(b, v); }
void put32(Buf& b, std::uint32_t v) { put16(b, v >> 16); put16(b, v); }
void put32le(Buf& b, std::uint32_t v) { put8(b, v); put8(b, v >> 8); put8(b, v >> 16); put8(b, v >> 24); }
void put16le(Buf& b, std::uint32_t v) { put8(b, v); put8(b, v >> 8); }

void append(Buf& b, const Buf& more) { b.insert(b.end(), more.begin(), more.end()); }

void address(Buf& b, const std::string& text, bool v6) {
    unsigned char raw[16] = {};
    if (inet_pton(v6 ? AF_INET6 : AF_INET, text.c_str(), raw) != 1) throw std::invalid_argument(text);
    for (int i = 0; i < (v6 ? 16 : 4); ++i) put8(b, raw[i]);
}

}  // namespace

Buf bytes(std::string_view text) {
    Buf b(text.size());
    if (!text.empty()) std::memcpy(b.data(), text.data(), text.size());
    return b;
}

std::string text(const Buf& data) { return std::string(reinterpret_cast<const char*>(data.data()), data.size()); }

Buf concat(std::initializer_list<Buf> parts) {
    Buf out;
    for (const Buf& p : parts) append(out, p);
    return out;
}

Buf udp(std::uint16_t sport, std::uint16_t dport, const Buf& payload) {
    Buf b;
    put16(b, sport);
    put16(b, dport);
    put16(b, static_cast<std::uint32_t>(8 + payload.size()));
    put16(b, 0);
    append(b, payload);
    return b;
}

Buf tcp(std::uint16_t sport, std::uint16_t dport, std::uint32_t seq, std::uint32_t ack, std::uint8_t flags,
        const Buf& payload) {
    Buf b;
    put16(b, sport);
    put16(b, dport);
    put32(b, seq);
    put32(b, ack);
    put8(b, 5 << 4);
    put8(b, flags);
    put16(b, 65535);  // window
    put16(b, 0);      // checksum
    put16(b, 0);      // urgent
    append(b, payload);
    return b;
}

Buf ipv4(const std::string& src, const std::string& dst, std::uint8_t proto, const Buf& l4, Ipv4Options o) {
    const std::size_t header = 20 + o.header_options;
    Buf b;
    put8(b, 0x40 | static_cast<std::uint32_t>(header / 4));
    put8(b, 0);
    put16(b, o.total_length >= 0 ? static_cast<std::uint32_t>(o.total_length)
                                 : static_cast<std::uint32_t>(header + l4.size()));
    put16(b, o.id);
    put16(b, (o.more_fragments ? 0x2000u : 0u) | (o.frag_offset / 8));
    put8(b, 64);
    put8(b, proto);
    put16(b, 0);
    address(b, src, false);
    address(b, dst, false);
    for (std::size_t i = 0; i < o.header_options; ++i) put8(b, 1);  // NOP options
    append(b, l4);
    return b;
}

Buf ipv6(const std::string& src, const std::string& dst, std::uint8_t next, const Buf& payload) {
    Buf b;
    put32(b, 0x60000000);
    put16(b, static_cast<std::uint32_t>(payload.size()));
    put8(b, next);
    put8(b, 64);
    address(b, src, true);
    address(b, dst, true);
    append(b, payload);
    return b;
}

Buf ipv6_fragment_header(std::uint8_t next, std::uint32_t offset, bool more, std::uint32_t id) {
    Buf b;
    put8(b, next);
    put8(b, 0);
    put16(b, (offset & 0xfff8u) | (more ? 1u : 0u));
    put32(b, id);
    return b;
}

Buf ethernet(const Buf& ip, std::uint16_t ethertype, std::initializer_list<std::uint16_t> vlan_tpids) {
    Buf b;
    for (int i = 0; i < 12; ++i) put8(b, 0x02);
    for (std::uint16_t tpid : vlan_tpids) {
        put16(b, tpid);
        put16(b, 100);  // TCI: VLAN 100
    }
    put16(b, ethertype);
    append(b, ip);
    return b;
}

Buf linux_sll(const Buf& ip, std::uint16_t protocol) {
    Buf b;
    put16(b, 0);  // packet type: to us
    put16(b, 1);  // ARPHRD_ETHER
    put16(b, 6);
    for (int i = 0; i < 8; ++i) put8(b, i < 6 ? 0x02 : 0);
    put16(b, protocol);
    append(b, ip);
    return b;
}

Buf linux_sll2(const Buf& ip, std::uint16_t protocol) {
    Buf b;
    put16(b, protocol);
    put16(b, 0);
    put32(b, 2);  // ifindex
    put16(b, 1);  // ARPHRD_ETHER
    put8(b, 0);
    put8(b, 6);
    for (int i = 0; i < 8; ++i) put8(b, i < 6 ? 0x02 : 0);
    append(b, ip);
    return b;
}

Buf bsd_loopback(const Buf& ip, std::uint32_t family, bool big_endian) {
    Buf b;
    big_endian ? put32(b, family) : put32le(b, family);
    append(b, ip);
    return b;
}

Buf pcap_file(std::uint32_t linktype, const std::vector<Record>& records) {
    Buf b;
    put32le(b, 0xa1b2c3d4);
    put16le(b, 2);
    put16le(b, 4);
    put32le(b, 0);
    put32le(b, 0);
    put32le(b, 262144);
    put32le(b, linktype);
    for (const Record& r : records) {
        put32le(b, static_cast<std::uint32_t>(r.ts / 1'000'000));
        put32le(b, static_cast<std::uint32_t>(r.ts % 1'000'000));
        put32le(b, static_cast<std::uint32_t>(r.data.size()));
        put32le(b, r.orig_len != 0 ? r.orig_len : static_cast<std::uint32_t>(r.data.size()));
        append(b, r.data);
    }
    return b;
}

void write_file(const std::string& path, const Buf& data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
}

std::vector<Record> bulk_udp_records(int count) {
    const Buf ip = ipv4("127.0.0.1", "127.0.0.2", 17, udp(40000, 5060, Buf(1200, std::byte{'x'})));
    std::vector<Record> records;
    for (int i = 0; i < count; ++i) records.push_back({1'700'000'000'000'000 + i, ethernet(ip, 0x0800), 0});
    return records;
}

void write_pcap(const std::string& path, std::uint32_t linktype, const std::vector<Record>& records) {
    write_file(path, pcap_file(linktype, records));
}

std::string temp_path(const std::string& name) {
    return "/tmp/siptap-capture-test-" + std::to_string(::getpid()) + "-" + name;
}

}  // namespace capture_test
