// Arbitrary bytes as a capture file, through libpcap, the packet layers, reassembly and
// the decoder. The file goes through a memory stream so no temporary files pile up.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <unistd.h>

#include "capture/connection_flow.hpp"
#include "capture/packet_processor.hpp"
#include "capture/pcap_file_reader.hpp"
#include "decoder/diagnoser.hpp"
#include "decoder/event_bus.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    char path[] = "/tmp/siptap-fuzz-pcap-XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) return 0;
    const bool written = write(fd, data, size) == static_cast<ssize_t>(size);
    close(fd);
    if (written) {
        decoder::EventBus bus;
        decoder::Diagnoser diagnoser(bus, {});
        bus.add_sink(diagnoser);
        capture::ConnectionFlowFactory flows(bus);
        capture::PacketProcessor processor(bus, flows);
        try {
            capture::PcapFileReader reader(path);
            reader.read_all(processor);
        } catch (const capture::InputError&) {
        }
        processor.finish(processor.last_ts());
        bus.end();
    }
    unlink(path);
    return 0;
}
