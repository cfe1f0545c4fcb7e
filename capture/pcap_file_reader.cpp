#include "capture/pcap_file_reader.hpp"

#include <pcap/pcap.h>

#include "capture/link_layer.hpp"

namespace capture {

PcapFileReader::PcapFileReader(std::string path) : path_(std::move(path)) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    handle_ = pcap_open_offline_with_tstamp_precision(path_.c_str(), PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    if (handle_ == nullptr) throw InputError(path_ + ": cannot read capture: " + errbuf);
    link_type_ = pcap_datalink(handle_);
    if (!link_type_supported(link_type_)) {
        pcap_close(handle_);
        handle_ = nullptr;
        throw InputError(path_ + ": unsupported link type " + link_type_name(link_type_));
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
        packet.ts = static_cast<decoder::Micros>(header->ts.tv_sec) * 1'000'000 + header->ts.tv_usec;
        packet.data = {reinterpret_cast<const std::byte*>(data), header->caplen};
        packet.orig_len = header->len;
        ++result.packets;
        result.bytes += header->caplen;
        result.last_ts = packet.ts;
        handler.on_packet(packet);
    }
    if (rc == PCAP_ERROR) {
        // libpcap's text already says what broke ("truncated dump file; tried to read ...").
        result.error = path_ + ": read error after " + std::to_string(result.packets) +
                       " packets: " + pcap_geterr(handle_);
    }
    pcap_close(handle_);
    handle_ = nullptr;
    return result;
}

}  // namespace capture
