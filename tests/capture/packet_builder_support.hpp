// Builds frames and pcap files byte by byte for the capture tests, so each test states
// exactly what is on the wire. Checksums are left zero: the capture layer ignores them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace capture_test {

using Buf = std::vector<std::byte>;

inline constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

Buf bytes(std::string_view text);
std::string text(const Buf& data);
Buf concat(std::initializer_list<Buf> parts);

Buf udp(std::uint16_t sport, std::uint16_t dport, const Buf& payload);
Buf tcp(std::uint16_t sport, std::uint16_t dport, std::uint32_t seq, std::uint32_t ack, std::uint8_t flags,
        const Buf& payload = {});

struct Ipv4Options {
    std::uint16_t id = 1;
    std::uint32_t frag_offset = 0;  // bytes, a multiple of 8
    bool more_fragments = false;
    std::size_t header_options = 0;  // extra header bytes (multiple of 4)
    int total_length = -1;           // override the total length field
};
Buf ipv4(const std::string& src, const std::string& dst, std::uint8_t proto, const Buf& l4,
         Ipv4Options options = {});

// `payload` starts with any extension headers the test wants; `next` names the first.
Buf ipv6(const std::string& src, const std::string& dst, std::uint8_t next, const Buf& payload);
// An IPv6 Fragment extension header (8 bytes).
Buf ipv6_fragment_header(std::uint8_t next, std::uint32_t offset, bool more, std::uint32_t id);

Buf ethernet(const Buf& ip, std::uint16_t ethertype, std::initializer_list<std::uint16_t> vlan_tpids = {});
Buf linux_sll(const Buf& ip, std::uint16_t protocol);
Buf linux_sll2(const Buf& ip, std::uint16_t protocol);
Buf bsd_loopback(const Buf& ip, std::uint32_t family, bool big_endian);

struct Record {
    std::int64_t ts = 0;  // microseconds
    Buf data;
    std::uint32_t orig_len = 0;  // 0: data.size()
};

// `count` Ethernet frames of one IPv4/UDP datagram with 1,200 bytes of payload, a microsecond
// apart from 1,700,000,000 s: a capture of some size for the readers' buffers and mappings.
std::vector<Record> bulk_udp_records(int count);

// A classic little-endian microsecond pcap file.
void write_pcap(const std::string& path, std::uint32_t linktype, const std::vector<Record>& records);
Buf pcap_file(std::uint32_t linktype, const std::vector<Record>& records);
void write_file(const std::string& path, const Buf& data);
std::string temp_path(const std::string& name);

}  // namespace capture_test
