#include "cli/progress.hpp"

#include <cstdio>
#include <filesystem>
#include <unistd.h>

namespace cli {

namespace {

// Bytes a frame takes in the file besides its data (pcap record header; pcapng is close).
constexpr std::uint64_t kRecordOverhead = 16;

}  // namespace

std::string format_progress(const std::string& name, std::uint64_t done, std::uint64_t total, double seconds) {
    const double mb = 1024.0 * 1024.0;
    const auto shown = total ? std::min(done, total) : done;
    char line[160];
    if (total)
        std::snprintf(line, sizeof line, "%.1f/%.1f MB  %3d%%  %.1f MB/s", static_cast<double>(shown) / mb,
                      static_cast<double>(total) / mb, static_cast<int>(100.0 * static_cast<double>(shown) / static_cast<double>(total)),
                      seconds > 0 ? static_cast<double>(done) / mb / seconds : 0.0);
    else
        std::snprintf(line, sizeof line, "%.1f MB  %.1f MB/s", static_cast<double>(done) / mb,
                      seconds > 0 ? static_cast<double>(done) / mb / seconds : 0.0);
    return name + "  " + line;
}

ProgressHandler::ProgressHandler(capture::PacketHandler& next, const std::string& path, std::ostream& out, bool enabled,
                                 std::chrono::milliseconds delay, std::chrono::milliseconds interval)
    : next_(next),
      name_(std::filesystem::path(path).filename().string()),
      out_(out),
      enabled_(enabled),
      start_(Clock::now()),
      next_draw_(start_ + delay),
      interval_(interval) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec) total_ = size;
}

void ProgressHandler::on_packet(const capture::RawPacket& packet) noexcept {
    next_.on_packet(packet);
    if (!enabled_) return;
    done_ += packet.data.size() + kRecordOverhead;
    const auto now = Clock::now();
    if (now < next_draw_) return;
    next_draw_ = now + interval_;
    const auto line = "siptap: " + format_progress(name_, done_, total_, std::chrono::duration<double>(now - start_).count());
    const std::string pad(drawn_ > line.size() ? drawn_ - line.size() : 0, ' ');
    out_ << '\r' << line << pad << std::flush;
    drawn_ = line.size();
}

void ProgressHandler::done() noexcept {
    if (!drawn_) return;
    out_ << '\r' << std::string(drawn_, ' ') << '\r' << std::flush;
    drawn_ = 0;
}

bool ProgressHandler::stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

}  // namespace cli
