// Captures frames from a network interface through libpcap (immediate mode, optional BPF
// filter compiled with pcap_compile) and hands each to a PacketHandler — the same
// PacketProcessor that reads files, so live and file analysis are the same.
//
// Problems at start (no such interface, no permission, bad filter) throw InputError with a
// message that says what to do; the CLI maps that to exit code 2.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "capture/packet.hpp"
#include "capture/pcap_file_reader.hpp"  // InputError

struct pcap;

namespace capture {

struct LiveOptions {
    std::string interface;
    std::string bpf;           // empty: everything
    int snaplen = 262144;
    int buffer_bytes = 32 << 20;  // the kernel's ring for frames not read yet
    bool promiscuous = false;
};

struct LiveLimits {
    std::optional<std::chrono::milliseconds> duration;  // stop after this long
    std::optional<std::uint64_t> count;                  // stop after this many frames
};

struct LiveResult {
    std::uint64_t packets = 0, bytes = 0;
    decoder::Micros last_ts = 0;
    std::uint64_t dropped_by_kernel = 0;  // pcap_stats ps_drop
    std::optional<std::string> error;     // capture broke off (interface went away, ...)
};

class LiveCapture {
public:
    // Opens and activates the interface, compiles and sets the filter. Throws InputError.
    explicit LiveCapture(const LiveOptions& options);
    ~LiveCapture();
    LiveCapture(const LiveCapture&) = delete;
    LiveCapture& operator=(const LiveCapture&) = delete;

    int link_type() const { return link_type_; }

    // Delivers frames until `stop` becomes true (e.g. set from a SIGINT handler), a limit is
    // reached or the capture fails. Wakes at least every 100 ms to look at `stop`. Never throws.
    LiveResult run(PacketHandler& handler, const std::atomic<bool>& stop, const LiveLimits& limits) noexcept;

private:
    std::string interface_;
    pcap* handle_ = nullptr;
    int link_type_ = 0;
};

}  // namespace capture
