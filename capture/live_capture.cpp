#include "capture/live_capture.hpp"

#include <pcap/pcap.h>
#include <poll.h>

#include <cerrno>

namespace capture {

namespace {

std::string permission_hint(const std::string& iface) {
    return "capturing on " + iface +
           " needs root or the CAP_NET_RAW capability: run siptap with sudo, or once "
           "`sudo setcap cap_net_raw,cap_net_admin=eip $(command -v siptap)`";
}

struct Delivery {
    PacketHandler* handler = nullptr;
    int link_type = 0;
    LiveResult* result = nullptr;
};

void deliver(u_char* user, const pcap_pkthdr* header, const u_char* bytes) {
    auto* d = reinterpret_cast<Delivery*>(user);
    RawPacket p;
    p.link_type = d->link_type;
    p.ts = micros_of(header->ts.tv_sec, header->ts.tv_usec);
    p.data = std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes), header->caplen);
    p.orig_len = header->len;
    d->result->packets++;
    d->result->bytes += header->caplen;
    d->result->last_ts = p.ts;
    d->handler->on_packet(p);
}

constexpr int kBlockTimeoutMs = 10;

}  // namespace

LiveCapture::LiveCapture(const LiveOptions& options) : interface_(options.interface) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    handle_ = pcap_create(options.interface.c_str(), errbuf);
    if (!handle_) throw InputError(options.interface + ": " + errbuf);
    pcap_set_snaplen(handle_, options.snaplen);
    pcap_set_promisc(handle_, options.promiscuous ? 1 : 0);
    // Not immediate mode: that makes libpcap use TPACKET_V2, whose ring has one fixed-size slot
    // per frame sized for the largest frame the interface can give (64 KiB on lo), so 32 MiB
    // held 256 frames of a burst there and dropped the rest (measured with tcpreplay on lo).
    // TPACKET_V3 packs frames into blocks by their real size; the kernel hands over a block
    // when it is full or after this timeout, which bounds how late an event appears.
    pcap_set_timeout(handle_, kBlockTimeoutMs);
    pcap_set_buffer_size(handle_, options.buffer_bytes);
    pcap_set_tstamp_precision(handle_, PCAP_TSTAMP_PRECISION_MICRO);
    const int rc = pcap_activate(handle_);
    if (rc < 0) {
        std::string message;
        if (rc == PCAP_ERROR_PERM_DENIED) message = permission_hint(options.interface);
        else if (rc == PCAP_ERROR_NO_SUCH_DEVICE) message = options.interface + ": no such interface (see `ip link`)";
        else message = options.interface + ": " + pcap_geterr(handle_);
        pcap_close(handle_);
        handle_ = nullptr;
        throw InputError(message);
    }
    link_type_ = pcap_datalink(handle_);
    if (!options.bpf.empty()) {
        bpf_program program{};
        if (pcap_compile(handle_, &program, options.bpf.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
            const std::string message = "capture filter '" + options.bpf + "': " + pcap_geterr(handle_);
            pcap_close(handle_);
            handle_ = nullptr;
            throw InputError(message);
        }
        const int set = pcap_setfilter(handle_, &program);
        pcap_freecode(&program);
        if (set != 0) {
            const std::string message = "capture filter '" + options.bpf + "': " + pcap_geterr(handle_);
            pcap_close(handle_);
            handle_ = nullptr;
            throw InputError(message);
        }
    }
    if (pcap_setnonblock(handle_, 1, errbuf) != 0) {
        const std::string message = options.interface + ": " + errbuf;
        pcap_close(handle_);
        handle_ = nullptr;
        throw InputError(message);
    }
}

LiveCapture::~LiveCapture() {
    if (handle_) pcap_close(handle_);
}

LiveResult LiveCapture::run(PacketHandler& handler, const std::atomic<bool>& stop, const LiveLimits& limits) noexcept {
    LiveResult result;
    Delivery d{&handler, link_type_, &result};
    const auto start = std::chrono::steady_clock::now();
    const int fd = pcap_get_selectable_fd(handle_);
    while (!stop.load()) {
        if (limits.duration && std::chrono::steady_clock::now() - start >= *limits.duration) break;
        if (limits.count && result.packets >= *limits.count) break;
        if (fd >= 0) {
            pollfd p{fd, POLLIN, 0};
            const int ready = poll(&p, 1, 100);  // EINTR (Ctrl-C) just loops to look at `stop`
            if (ready <= 0) continue;
        }
        const int max = limits.count ? static_cast<int>(*limits.count - result.packets) : -1;
        const int n = pcap_dispatch(handle_, max, deliver, reinterpret_cast<u_char*>(&d));
        if (n == PCAP_ERROR) {
            result.error = interface_ + ": " + pcap_geterr(handle_);
            break;
        }
        if (n == 0 && fd < 0) poll(nullptr, 0, 10);  // no selectable fd: do not spin
    }
    // Frames the kernel already holds were on the wire before the stop: Ctrl-C on a loaded
    // machine must not lose the exchange that was just seen. Non-blocking, so this ends.
    // A block still filling is handed over only when its timeout expires: wait for that first.
    poll(nullptr, 0, 3 * kBlockTimeoutMs);
    for (int round = 0; round < 1000 && !result.error; ++round) {
        if (limits.count && result.packets >= *limits.count) break;
        const int max = limits.count ? static_cast<int>(*limits.count - result.packets) : -1;
        if (pcap_dispatch(handle_, max, deliver, reinterpret_cast<u_char*>(&d)) <= 0) break;
    }
    pcap_stat stats{};
    if (pcap_stats(handle_, &stats) == 0) result.dropped_by_kernel = stats.ps_drop;
    return result;
}

}  // namespace capture
