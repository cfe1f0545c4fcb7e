// pcapng Decryption Secrets Block scan; see pcapng_secrets.hpp.
#include "capture/pcapng_secrets.hpp"

#include <array>
#include <cstdint>
#include <fstream>

namespace capture {

namespace {

constexpr std::uint32_t kSectionHeader = 0x0A0D0D0A;
constexpr std::uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr std::uint32_t kDecryptionSecrets = 0x0000000A;
constexpr std::uint32_t kTlsKeyLog = 0x544c534b;        // "TLSK"
constexpr std::uint32_t kMaxBlock = 256u << 20;         // larger blocks are taken as corruption
constexpr std::size_t kMaxSecrets = 64u << 20;          // key log text kept per file

std::uint32_t u32(const unsigned char* p, bool big) {
    return big ? std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3]
               : std::uint32_t(p[3]) << 24 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[1]) << 8 | p[0];
}

class Walker {
public:
    Walker(const std::string& path, PcapngSecrets& out) : path_(path), out_(out), in_(path, std::ios::binary) {}

    void run() {
        std::array<unsigned char, 12> head{};
        if (!in_.read(reinterpret_cast<char*>(head.data()), 12)) return;  // not even a header
        if (u32(head.data(), false) != kSectionHeader) return;          // classic pcap or other
        in_.seekg(0);
        while (block()) {
        }
    }

private:
    void problem(const std::string& what) {
        out_.problems.push_back(path_ + ": pcapng block at offset " + std::to_string(offset_) + ": " + what +
                                "; secrets after it are not read");
    }

    // Reads one block; false at the end of the file or on a malformed block.
    bool block() {
        offset_ = static_cast<std::uint64_t>(in_.tellg());
        std::array<unsigned char, 12> head{};
        in_.read(reinterpret_cast<char*>(head.data()), 12);
        if (in_.gcount() == 0) return false;
        if (in_.gcount() < 12) return false;  // a truncated tail: the capture reader reports it
        const std::uint32_t type = u32(head.data(), big_);
        if (type == kSectionHeader) {
            const std::uint32_t magic = u32(head.data() + 8, false);
            if (magic == kByteOrderMagic) big_ = false;
            else if (u32(head.data() + 8, true) == kByteOrderMagic) big_ = true;
            else return problem("bad byte-order magic"), false;
        }
        const std::uint32_t length = u32(head.data() + 4, big_);
        if (length < 12 || length % 4 || length > kMaxBlock)
            return problem("invalid block length " + std::to_string(length)), false;
        if (type == kDecryptionSecrets) return secrets(head, length);
        in_.seekg(static_cast<std::streamoff>(offset_ + length));
        return static_cast<bool>(in_);
    }

    bool secrets(const std::array<unsigned char, 12>& head, std::uint32_t length) {
        const std::uint32_t kind = u32(head.data() + 8, big_);
        std::array<unsigned char, 4> len_bytes{};
        if (!in_.read(reinterpret_cast<char*>(len_bytes.data()), 4)) return false;
        const std::uint32_t size = u32(len_bytes.data(), big_);
        if (size > length - 20) return problem("secrets length " + std::to_string(size) + " exceeds the block"), false;
        if (kind == kTlsKeyLog) {
            if (out_.keylog.size() + size > kMaxSecrets)
                return problem("embedded key logs exceed " + std::to_string(kMaxSecrets >> 20) + " MiB"), false;
            std::string text(size, '\0');
            if (!in_.read(text.data(), size)) return false;
            out_.keylog += text;
            if (!text.empty() && text.back() != '\n') out_.keylog += '\n';
            ++out_.blocks;
        }
        in_.seekg(static_cast<std::streamoff>(offset_ + length));
        return static_cast<bool>(in_);
    }

    std::string path_;
    PcapngSecrets& out_;
    std::ifstream in_;
    bool big_ = false;
    std::uint64_t offset_ = 0;
};

}  // namespace

PcapngSecrets read_pcapng_secrets(const std::string& path) noexcept {
    PcapngSecrets out;
    try {
        Walker(path, out).run();
    } catch (const std::exception& e) {
        out.problems.push_back(path + ": reading pcapng secrets: " + e.what());
    }
    return out;
}

}  // namespace capture
