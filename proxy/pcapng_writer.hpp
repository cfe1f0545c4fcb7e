// A pcapng file (Section Header, one Ethernet Interface Description, Enhanced Packet Blocks
// with microsecond timestamps, Decryption Secrets Blocks) written as packets arrive and
// each block written at once, so Wireshark can follow it live. Created with mode 0600: it holds
// decrypted traffic or TLS secrets. A failed write is kept in file() (see evidence_file.hpp).
// Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "proxy/evidence_file.hpp"

namespace proxy {

class PcapngWriter {
public:
    // `option` names the file in messages ("--capture"). Throws std::runtime_error naming the
    // file when it cannot be created; a failure to write its header is kept like any other.
    PcapngWriter(std::string option, const std::string& path);

    // One Ethernet frame captured at `micros` since the epoch.
    void write_frame(std::int64_t micros, std::span<const std::uint8_t> frame) noexcept;
    // NSS key log lines (each ending in a newline) as a TLS Decryption Secrets Block; a
    // single-pass reader (tshark) only uses secrets that come before the records they decrypt.
    void write_tls_secrets(std::string_view keylog) noexcept;

    const EvidenceFile& file() const { return file_; }

private:
    void write_block(std::uint32_t type, std::span<const std::uint8_t> body) noexcept;

    EvidenceFile file_;
};

}  // namespace proxy
