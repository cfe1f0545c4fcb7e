#include "capture/pcap_file_reader.hpp"

#include <pcap/pcap.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "capture/link_layer.hpp"
#include "capture/mapped_file.hpp"

namespace capture {

namespace {

// libpcap's message, without the file name it sometimes puts first (we add our own), and
// in plain words for the one case it words obscurely.
std::string open_problem(const std::string& path, const char* errbuf) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec) && std::filesystem::file_size(path, ec) == 0 && !ec)
        return "the file is empty, not a capture";
    std::string text = errbuf;
    if (text.compare(0, path.size() + 2, path + ": ") == 0) text.erase(0, path.size() + 2);
    return text;
}

// A file smaller than the largest buffer gets one of its own size (at least a page): a
// megabyte mapped, and under AddressSanitizer poisoned, for every short trace was most of
// the time spent reading it (the fuzzer opens thousands a second).
std::size_t stdio_buffer_size(FILE* f) {
    constexpr std::size_t largest = 1 << 20, smallest = 4096;
    struct stat st {};
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) return largest;
    return std::clamp(static_cast<std::size_t>(st.st_size), smallest, largest);
}

// Not a regular file (a pipe, /dev/stdin), or not mappable: libpcap reads each record with
// two small fread()s; a 1 MB stdio buffer (instead of the file's 4 KB block size) makes that
// one read() system call per MB. Left uninitialised: stdio writes before it reads.
pcap_t* open_buffered(const std::string& path, std::unique_ptr<char[]>& buffer, char* errbuf) {
    if (FILE* f = std::fopen(path.c_str(), "rb")) {
        const std::size_t buffer_size = stdio_buffer_size(f);
        buffer = std::make_unique_for_overwrite<char[]>(buffer_size);
        if (std::setvbuf(f, buffer.get(), _IOFBF, buffer_size) == 0)
            if (pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, errbuf))
                return p;  // it closes the file
        std::fclose(f);
    }
    // Not readable (or not a capture): libpcap opens it itself, for its usual error text.
    return pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, errbuf);
}

}  // namespace

// libpcap reads a FILE*; this one is a stdio stream over the mapped file (fopencookie), so the
// bytes go from the page cache to libpcap without the kernel's copy into a stdio buffer.
// glibc copies a cookie stream's reads through its buffer even when unbuffered (then a byte at
// a time), hence a small buffer of our own, which stays in the CPU's cache.
struct PcapFileReader::MappedStream {
    std::unique_ptr<MappedFile> file;
    std::size_t at = 0;
    char buffer[64 << 10];

    static ssize_t read(void* self, char* to, std::size_t n) {
        auto& s = *static_cast<MappedStream*>(self);
        const long got = s.file->copy(s.at, to, n);
        if (got < 0) {
            errno = EIO;
            return -1;
        }
        s.at += static_cast<std::size_t>(got);
        s.file->release_before(s.at);
        return got;
    }

    // nullptr when the file cannot be mapped or libpcap refuses it (the caller then opens it
    // the usual way, for libpcap's own error text).
    static pcap_t* open(const std::string& path, std::unique_ptr<MappedStream>& stream, char* errbuf) {
        std::string problem;
        auto file = MappedFile::open(path, problem);
        if (file == nullptr) return nullptr;
        stream = std::make_unique_for_overwrite<MappedStream>();  // the buffer needs no zeroing
        stream->file = std::move(file);
        // No close function: the reader owns the stream and frees it after pcap_close().
        FILE* f = fopencookie(stream.get(), "rb", cookie_io_functions_t{&MappedStream::read, nullptr, nullptr, nullptr});
        if (f != nullptr && std::setvbuf(f, stream->buffer, _IOFBF, sizeof stream->buffer) == 0)
            if (pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, errbuf)) return p;
        if (f != nullptr) std::fclose(f);
        stream.reset();
        return nullptr;
    }
};

PcapFileReader::PcapFileReader(std::string path) : path_(std::move(path)) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    handle_ = MappedStream::open(path_, mapped_, errbuf);
    if (handle_ == nullptr) handle_ = open_buffered(path_, buffer_, errbuf);
    if (handle_ == nullptr) throw InputError(path_ + ": cannot read capture: " + open_problem(path_, errbuf));
    link_type_ = pcap_datalink(handle_);
    if (!link_type_supported(link_type_)) {
        pcap_close(handle_);
        handle_ = nullptr;
        throw InputError(path_ + ": unsupported link type " + link_type_name(link_type_) +
                         " (siptap reads Ethernet, Linux cooked v1/v2, raw IP and BSD loopback captures)");
    }
}

PcapFileReader::~PcapFileReader() {
    if (handle_ != nullptr) pcap_close(handle_);
}

ReadResult PcapFileReader::read_all(PacketHandler& handler) noexcept {
    ReadResult result;
    if (handle_ == nullptr) {
        result.error = path_ + ": already read";
        return result;
    }
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    int rc = 0;
    while ((rc = pcap_next_ex(handle_, &header, &data)) == 1) {
        RawPacket packet;
        packet.link_type = link_type_;
        packet.ts = micros_of(header->ts.tv_sec, header->ts.tv_usec);
        packet.data = {reinterpret_cast<const std::byte*>(data), header->caplen};
        packet.orig_len = header->len;
        ++result.packets;
        result.bytes += header->caplen;
        result.last_ts = packet.ts;
        handler.on_packet(packet);
    }
    if (rc == PCAP_ERROR) {
        // libpcap's text already says what broke ("truncated dump file; tried to read ..."),
        // but not when another program cut the file while it was mapped.
        const bool shrunk = mapped_ != nullptr && mapped_->file->shrunk();
        result.error = path_ + ": read error after " + std::to_string(result.packets) + " packets: " +
                       (shrunk ? "the file became shorter while being read (another program truncated it)"
                               : pcap_geterr(handle_));
    }
    pcap_close(handle_);
    handle_ = nullptr;
    return result;
}

}  // namespace capture
