// Microsoft Network Monitor 2.x capture files (".cap", written by Network Monitor 3.x and
// by `editcap -F netmon2`), read without libpcap, which does not know them. Detected by
// content: the file starts with "GMBU".
//
// Layout (little-endian): a header with the format version, the media type, the capture start
// as a Windows SYSTEMTIME (millisecond resolution) and the offset of the frame table; the
// frame table lists each frame record's offset; a record holds the time since the start in
// microseconds, the length on the wire, the captured length, the bytes, and from format 2.1
// on a trailer whose first field is that frame's media type. Media types: Ethernet, raw IP
// (tunnel, wireless WAN and raw-IP interfaces) and pcap link types stored by Network
// Monitor's pcap import (0xE000 + the type). Frames of other media (802.11 radio, Token
// Ring, Network Monitor's own event and filter records) are skipped and counted.
//
// The reader works on bytes in memory (a fuzz target calls read_netmon directly); the file
// reader maps the file. Every offset and length is checked against the bytes: a damaged
// or truncated file delivers the frames before the damage and says where it stopped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "capture/mapped_file.hpp"
#include "capture/packet.hpp"
#include "capture/pcap_file_reader.hpp"

namespace capture {

// True when the bytes start with the Network Monitor 2.x magic "GMBU".
bool is_netmon(std::span<const std::byte> first_bytes) noexcept;

struct NetmonResult : ReadResult {
    std::uint64_t skipped = 0;  // frames of media siptap does not decode
};

// Reads a whole Network Monitor 2.x image; `name` (the file name) starts every error. A bad
// header gives an error and no frames. Never throws.
NetmonResult read_netmon(std::span<const std::byte> image, const std::string& name,
                         PacketHandler& handler) noexcept;

// Maps the file and reads it with read_netmon. Throws InputError when the file cannot be
// opened or mapped.
class NetmonFileReader {
public:
    explicit NetmonFileReader(std::string path);
    ~NetmonFileReader();
    NetmonFileReader(const NetmonFileReader&) = delete;
    NetmonFileReader& operator=(const NetmonFileReader&) = delete;

    NetmonResult read_all(PacketHandler& handler) noexcept;

private:
    std::string path_;
    std::unique_ptr<MappedFile> file_;
};

}  // namespace capture
