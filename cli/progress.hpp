// Progress of `read` on stderr — bytes, percent, MB/s — for large files, only when stderr is
// a terminal. Sits between the file reader and the packet processor.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

#include "capture/packet.hpp"

namespace cli {

// "tls.pcapng  412.3/1024.0 MB  40%  87.5 MB/s"
std::string format_progress(const std::string& name, std::uint64_t done, std::uint64_t total, double seconds);

class ProgressHandler : public capture::PacketHandler {
public:
    // Passes every packet to `next`. With `enabled`, redraws one line on `out` at most every
    // `interval`, starting once `delay` has passed (small files never show it).
    ProgressHandler(capture::PacketHandler& next, const std::string& path, std::ostream& out, bool enabled,
                    std::chrono::milliseconds delay = std::chrono::milliseconds(500),
                    std::chrono::milliseconds interval = std::chrono::milliseconds(200));
    ~ProgressHandler() override { done(); }

    void on_packet(const capture::RawPacket& packet) noexcept override;
    // Clears the line (if one was drawn). Called by the destructor too.
    void done() noexcept;

    // True when stderr is a terminal.
    static bool stderr_is_terminal();

private:
    using Clock = std::chrono::steady_clock;

    capture::PacketHandler& next_;
    std::string name_;
    std::ostream& out_;
    bool enabled_;
    std::uint64_t total_ = 0, done_ = 0;
    Clock::time_point start_, next_draw_;
    std::chrono::milliseconds interval_;
    std::size_t drawn_ = 0;  // width of the line on screen
};

}  // namespace cli
