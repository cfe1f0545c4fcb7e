// A pcapng file (Section Header, one Ethernet Interface Description, Enhanced Packet Blocks
// with microsecond timestamps, Decryption Secrets Blocks) written as packets arrive and
// flushed per block, so Wireshark can follow it live. Created with mode 0600: it holds
// decrypted traffic or TLS secrets. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

namespace proxy {

class PcapngWriter {
public:
    // Throws std::runtime_error naming the file when it cannot be created.
    explicit PcapngWriter(const std::string& path);
    ~PcapngWriter();
    PcapngWriter(const PcapngWriter&) = delete;
    PcapngWriter& operator=(const PcapngWriter&) = delete;

    // One Ethernet frame captured at `micros` since the epoch.
    void write_frame(std::int64_t micros, std::span<const std::uint8_t> frame) noexcept;
    // NSS key log lines (each ending in a newline) as a TLS Decryption Secrets Block; a
    // single-pass reader (tshark) only uses secrets that come before the records they decrypt.
    void write_tls_secrets(std::string_view keylog) noexcept;

private:
    void write_block(std::uint32_t type, std::span<const std::uint8_t> body) noexcept;

    std::mutex mutex_;
    std::FILE* file_ = nullptr;
};

}  // namespace proxy
