// Network Monitor 2.x reader; see netmon_reader.hpp.
#include "capture/netmon_reader.hpp"

#include <cstring>
#include <optional>

namespace capture {

namespace {

constexpr std::size_t kHeader = 40;          // through the frame table's length
constexpr std::size_t kRecordHeader = 16;    // time delta (8), wire length (4), captured length (4)
constexpr std::uint32_t kMaxFrame = 1u << 18;
constexpr int kDltEthernet = 1, kLinktypeRaw = 101;
constexpr std::uint16_t kPcapBase = 0xE000;

std::uint16_t le16(std::span<const std::byte> b, std::size_t at) {
    return static_cast<std::uint16_t>(std::to_integer<unsigned>(b[at]) | std::to_integer<unsigned>(b[at + 1]) << 8);
}
std::uint32_t le32(std::span<const std::byte> b, std::size_t at) {
    return le16(b, at) | static_cast<std::uint32_t>(le16(b, at + 2)) << 16;
}
std::uint64_t le64(std::span<const std::byte> b, std::size_t at) {
    return le32(b, at) | static_cast<std::uint64_t>(le32(b, at + 4)) << 32;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// The capture start, a SYSTEMTIME (year, month, weekday, day, hour, minute, second, ms) that
// Network Monitor writes in UTC; nothing when a field is out of range.
std::optional<decoder::Micros> start_time(std::span<const std::byte> h) {
    const unsigned year = le16(h, 8), month = le16(h, 10), day = le16(h, 14), hour = le16(h, 16),
                   minute = le16(h, 18), second = le16(h, 20), ms = le16(h, 22);
    if (year < 1601 || year > 30827 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
        minute > 59 || second > 59 || ms > 999)
        return std::nullopt;
    const std::int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
    return seconds * 1'000'000 + ms * 1000;
}

// The DLT for a Network Monitor media type; 0 for media siptap does not decode.
int link_type_of(std::uint16_t media) {
    if (media == 1) return kDltEthernet;
    if (media >= 7 && media <= 9) return kLinktypeRaw;  // tunnel, wireless WAN, raw IP frames
    if ((media & 0xF000) == kPcapBase && media < 0xF000) return media & 0x0FFF;
    return 0;
}

// Bytes after each frame's data: none in 2.0; the media type in 2.1; plus a process index in
// 2.2; plus a UTC time and a time zone index in 2.3 and later.
std::size_t trailer_size(unsigned major, unsigned minor) {
    if (major > 2 || minor >= 3) return 15;
    return minor == 2 ? 6 : minor == 1 ? 2 : 0;
}

}  // namespace

bool is_netmon(std::span<const std::byte> b) noexcept {
    return b.size() >= 4 && std::memcmp(b.data(), "GMBU", 4) == 0;
}

NetmonResult read_netmon(std::span<const std::byte> image, const std::string& name, PacketHandler& handler) noexcept {
    NetmonResult result;
    try {
        if (!is_netmon(image)) {
            result.error = name + ": not a Network Monitor 2.x capture (no GMBU magic)";
            return result;
        }
        if (image.size() < kHeader) {
            result.error = name + ": Network Monitor header truncated (" + std::to_string(image.size()) + " bytes)";
            return result;
        }
        const unsigned minor = std::to_integer<unsigned>(image[4]), major = std::to_integer<unsigned>(image[5]);
        const auto start = start_time(image);
        const std::uint32_t table = le32(image, 24), table_len = le32(image, 28);
        if (major != 2 || !start || table_len % 4 || table > image.size() || table_len > image.size() - table) {
            result.error = name + ": bad Network Monitor header (version " + std::to_string(major) + "." +
                           std::to_string(minor) + ", frame table at " + std::to_string(table) + " with " +
                           std::to_string(table_len) + " bytes, file " + std::to_string(image.size()) + " bytes)";
            return result;
        }
        const std::uint16_t file_media = le16(image, 6);
        const std::size_t trailer = trailer_size(major, minor);
        for (std::size_t i = 0; i < table_len / 4; ++i) {
            const std::size_t at = le32(image, table + 4 * i);
            const auto frame_problem = [&](const char* what) {
                result.error = name + ": frame " + std::to_string(i + 1) + " at offset " + std::to_string(at) + " " +
                               what + "; read stopped after " + std::to_string(result.packets) + " frames";
            };
            if (at > image.size() || image.size() - at < kRecordHeader) {
                frame_problem("lies outside the file (truncated?)");
                break;
            }
            const std::uint64_t delta = le64(image, at);
            const std::uint32_t orig = le32(image, at + 8), caplen = le32(image, at + 12);
            if (caplen > kMaxFrame || image.size() - at - kRecordHeader < caplen + trailer) {
                frame_problem(caplen > kMaxFrame ? "is larger than any frame" : "is cut short (truncated file?)");
                break;
            }
            const std::uint16_t media = trailer ? le16(image, at + kRecordHeader + caplen) : file_media;
            const int link = link_type_of(media);
            if (link == 0 || delta > (1ull << 62)) {
                ++result.skipped;
                continue;
            }
            RawPacket packet;
            packet.link_type = link;
            packet.ts = *start + static_cast<decoder::Micros>(delta);
            packet.data = image.subspan(at + kRecordHeader, caplen);
            packet.orig_len = std::max(orig, caplen);
            ++result.packets;
            result.bytes += caplen;
            result.last_ts = packet.ts;
            handler.on_packet(packet);
        }
    } catch (...) {
        result.error = name + ": out of memory reading the Network Monitor capture";
    }
    return result;
}

NetmonFileReader::NetmonFileReader(std::string path) : path_(std::move(path)) {
    std::string problem;
    file_ = MappedFile::open(path_, problem);
    if (file_ == nullptr) throw InputError(path_ + ": cannot read capture: " + problem);
}

NetmonFileReader::~NetmonFileReader() = default;

NetmonResult NetmonFileReader::read_all(PacketHandler& handler) noexcept {
    return read_netmon(file_->bytes(), path_, handler);
}

}  // namespace capture
