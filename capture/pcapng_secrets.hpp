// TLS key logs embedded in a pcapng file as Decryption Secrets Blocks (block type 0x0000000A,
// secrets type 0x544c534b "TLSK"), as `editcap --inject-secrets tls,KEYLOG` writes them.
// libpcap skips these blocks, so the file's blocks are walked here: block headers only,
// seeking over everything else; bounded (block and total secret sizes are capped).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace capture {

struct PcapngSecrets {
    std::string keylog;       // the NSS key log text of every TLSK block, in file order
    std::size_t blocks = 0;   // TLSK blocks found
    std::vector<std::string> problems;  // "FILE: ..." for malformed blocks (the walk stops there)
};

// Empty (no problems) for a classic pcap or a file that is no capture at all: the capture
// reader reports those.
PcapngSecrets read_pcapng_secrets(const std::string& path) noexcept;

}  // namespace capture
