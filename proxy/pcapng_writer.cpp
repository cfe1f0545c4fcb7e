#include "proxy/pcapng_writer.hpp"

#include <vector>

namespace proxy {

namespace {

constexpr std::uint32_t kSectionHeader = 0x0A0D0D0A, kInterface = 1, kEnhancedPacket = 6,
                        kDecryptionSecrets = 0x0000000A, kSecretsTls = 0x544C534B;  // "TLSK"
constexpr std::uint16_t kLinktypeEthernet = 1;
constexpr std::uint32_t kSnapLen = 262144;

void put16(std::vector<std::uint8_t>& b, std::uint16_t v) {
    b.insert(b.end(), reinterpret_cast<const std::uint8_t*>(&v), reinterpret_cast<const std::uint8_t*>(&v) + 2);
}
void put32(std::vector<std::uint8_t>& b, std::uint32_t v) {
    b.insert(b.end(), reinterpret_cast<const std::uint8_t*>(&v), reinterpret_cast<const std::uint8_t*>(&v) + 4);
}

}  // namespace

PcapngWriter::PcapngWriter(std::string option, const std::string& path)
    : file_(std::move(option), path, EvidenceFile::Mode::Truncate) {
    std::vector<std::uint8_t> shb;  // host byte order, told by the byte-order magic
    put32(shb, 0x1A2B3C4D);
    put16(shb, 1);
    put16(shb, 0);
    put32(shb, 0xFFFFFFFF);  // section length unknown (-1, 64 bits)
    put32(shb, 0xFFFFFFFF);
    write_block(kSectionHeader, shb);
    std::vector<std::uint8_t> idb;
    put16(idb, kLinktypeEthernet);
    put16(idb, 0);
    put32(idb, kSnapLen);
    write_block(kInterface, idb);  // no if_tsresol option: microseconds
}

void PcapngWriter::write_block(std::uint32_t type, std::span<const std::uint8_t> body) noexcept {
    const std::size_t padded = (body.size() + 3) & ~std::size_t{3};
    const auto total = static_cast<std::uint32_t>(12 + padded);
    try {
        std::vector<std::uint8_t> block;  // one write: blocks of two threads never mix
        block.reserve(total);
        put32(block, type);
        put32(block, total);
        block.insert(block.end(), body.begin(), body.end());
        block.resize(8 + padded, 0);
        put32(block, total);
        file_.write(std::as_bytes(std::span(block)));
    } catch (...) {  // out of memory for the copy: the block is lost like a failed write
    }
}

void PcapngWriter::write_frame(std::int64_t micros, std::span<const std::uint8_t> frame) noexcept {
    std::vector<std::uint8_t> epb;
    epb.reserve(20 + frame.size());
    const auto ts = static_cast<std::uint64_t>(micros);
    const auto len = static_cast<std::uint32_t>(frame.size());
    put32(epb, 0);  // interface 0
    put32(epb, static_cast<std::uint32_t>(ts >> 32));
    put32(epb, static_cast<std::uint32_t>(ts));
    put32(epb, len);
    put32(epb, len);
    epb.insert(epb.end(), frame.begin(), frame.end());
    write_block(kEnhancedPacket, epb);
}

void PcapngWriter::write_tls_secrets(std::string_view keylog) noexcept {
    if (keylog.empty()) return;
    std::vector<std::uint8_t> dsb;
    dsb.reserve(8 + keylog.size() + 3);
    put32(dsb, kSecretsTls);
    put32(dsb, static_cast<std::uint32_t>(keylog.size()));
    dsb.insert(dsb.end(), keylog.begin(), keylog.end());
    dsb.resize((dsb.size() + 3) & ~std::size_t{3}, 0);  // the secrets are padded, then no options
    write_block(kDecryptionSecrets, dsb);
}

}  // namespace proxy
