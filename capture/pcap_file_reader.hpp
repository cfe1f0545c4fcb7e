// Reads a pcap or pcapng file through libpcap and hands every frame to a PacketHandler.
//
// Problems that make the file unusable (missing, not a capture, unsupported link type)
// throw InputError from the constructor, before any packet is read; the CLI maps that to
// exit code 2. A file that breaks off midway (truncated dump) is not an exception: the
// packets before the damage are delivered and ReadResult::error says what happened.
//
// A regular file is mapped into memory (mapped_file.hpp) and read up to the size it had when
// it was opened: a capture still being written is read as far as it went then. Pipes and
// other files that cannot be mapped are read through a stdio buffer.
//
// pcapng with several interfaces: libpcap reports the first interface's link type for the
// whole file, and refuses (as a read error) an interface whose link type differs. Such
// files are rare for SIP traces; the error names the problem.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "capture/packet.hpp"

struct pcap;

namespace capture {

class InputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ReadResult {
    std::uint64_t packets = 0;          // frames delivered
    std::uint64_t bytes = 0;            // captured bytes delivered
    decoder::Micros last_ts = 0;        // time of the last frame, for PacketProcessor::finish
    std::optional<std::string> error;   // one line naming the file, when reading broke off
};

class PcapFileReader {
public:
    // Opens the file with microsecond timestamps. Throws InputError.
    explicit PcapFileReader(std::string path);
    ~PcapFileReader();
    PcapFileReader(const PcapFileReader&) = delete;
    PcapFileReader& operator=(const PcapFileReader&) = delete;

    int link_type() const { return link_type_; }
    const std::string& path() const { return path_; }

    // Delivers every frame in file order. Never throws; call once.
    ReadResult read_all(PacketHandler& handler) noexcept;

private:
    std::string path_;
    struct MappedStream;
    // What libpcap reads through: the mapped file, or else a stdio buffer. Both are freed
    // after pcap_close() closed the stream.
    std::unique_ptr<MappedStream> mapped_;
    std::unique_ptr<char[]> buffer_;
    pcap* handle_ = nullptr;
    int link_type_ = 0;
};

}  // namespace capture
