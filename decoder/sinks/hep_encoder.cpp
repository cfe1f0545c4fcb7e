#include "decoder/sinks/hep_encoder.hpp"

#include <arpa/inet.h>

namespace decoder {

namespace {

// Chunk type ids of HEPv3 (vendor 0x0000, the generic chunks).
enum ChunkType : std::uint16_t {
    kIpFamily = 0x0001, kIpProto = 0x0002, kIpv4Src = 0x0003, kIpv4Dst = 0x0004, kIpv6Src = 0x0005,
    kIpv6Dst = 0x0006, kSrcPort = 0x0007, kDstPort = 0x0008, kTsSec = 0x0009, kTsUsec = 0x000a,
    kProtoType = 0x000b, kCaptureId = 0x000c, kAuthKey = 0x000e, kPayload = 0x000f,
    kCorrelationId = 0x0011, kAgentName = 0x0013,
};
constexpr std::uint8_t kProtoSip = 1;

class Writer {
public:
    void u8(std::uint8_t v) { out_.push_back(std::byte{v}); }
    void u16(std::uint16_t v) { u8(static_cast<std::uint8_t>(v >> 8)), u8(static_cast<std::uint8_t>(v)); }
    void u32(std::uint32_t v) { u16(static_cast<std::uint16_t>(v >> 16)), u16(static_cast<std::uint16_t>(v)); }
    void bytes(const void* p, std::size_t n) {
        const auto* b = static_cast<const std::byte*>(p);
        out_.insert(out_.end(), b, b + n);
    }
    // Generic chunk header: vendor 0, type, length including the 6-byte header.
    void chunk(std::uint16_t type, std::size_t length) {
        u16(0);
        u16(type);
        u16(static_cast<std::uint16_t>(6 + length));
    }
    void chunk_u8(std::uint16_t type, std::uint8_t v) { chunk(type, 1), u8(v); }
    void chunk_u16(std::uint16_t type, std::uint16_t v) { chunk(type, 2), u16(v); }
    void chunk_u32(std::uint16_t type, std::uint32_t v) { chunk(type, 4), u32(v); }
    void chunk_bytes(std::uint16_t type, const void* p, std::size_t n) { chunk(type, n), bytes(p, n); }
    std::vector<std::byte>& data() { return out_; }

private:
    std::vector<std::byte> out_;
};

}  // namespace

std::optional<std::vector<std::byte>> encode_hep(const Event& e, const HepOptions& options) {
    const auto* sip = e.as<SipMessage>();
    if (!sip || sip->raw.size() > 60000) return std::nullopt;  // the length field is 16 bits
    const bool v6 = e.src.ip.find(':') != std::string::npos;
    unsigned char src[16], dst[16];
    const int family = v6 ? AF_INET6 : AF_INET;
    if (inet_pton(family, e.src.ip.c_str(), src) != 1 || inet_pton(family, e.dst.ip.c_str(), dst) != 1)
        return std::nullopt;
    Writer w;
    w.bytes("HEP3", 4);
    w.u16(0);  // total length, patched below
    w.chunk_u8(kIpFamily, v6 ? 10 : 2);
    w.chunk_u8(kIpProto, e.transport == Transport::Udp ? 17 : 6);
    w.chunk_bytes(v6 ? kIpv6Src : kIpv4Src, src, v6 ? 16 : 4);
    w.chunk_bytes(v6 ? kIpv6Dst : kIpv4Dst, dst, v6 ? 16 : 4);
    w.chunk_u16(kSrcPort, e.src.port);
    w.chunk_u16(kDstPort, e.dst.port);
    w.chunk_u32(kTsSec, static_cast<std::uint32_t>(e.ts / 1'000'000));
    w.chunk_u32(kTsUsec, static_cast<std::uint32_t>(e.ts % 1'000'000));
    w.chunk_u8(kProtoType, kProtoSip);
    w.chunk_u32(kCaptureId, options.capture_id);
    if (!options.password.empty()) w.chunk_bytes(kAuthKey, options.password.data(), options.password.size());
    if (!options.agent_name.empty()) w.chunk_bytes(kAgentName, options.agent_name.data(), options.agent_name.size());
    if (!sip->call_id.empty()) w.chunk_bytes(kCorrelationId, sip->call_id.data(), sip->call_id.size());
    w.chunk_bytes(kPayload, sip->raw.data(), sip->raw.size());
    auto& out = w.data();
    if (out.size() > 0xffff) return std::nullopt;
    out[4] = std::byte{static_cast<unsigned char>(out.size() >> 8)};
    out[5] = std::byte{static_cast<unsigned char>(out.size())};
    return std::move(out);
}

void HepSink::on_event(const Event& event) {
    if (auto packet = encode_hep(event, options_)) {
        send_(context_, *packet);
        ++sent_;
    }
}

}  // namespace decoder
