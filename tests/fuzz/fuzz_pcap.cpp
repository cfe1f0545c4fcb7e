// Arbitrary bytes as a capture file, as `siptap read` takes one: its Decryption Secrets
// Blocks (pcapng) become the key log, then libpcap, the packet layers, reassembly and the
// decoder. The file is written to a temporary file, removed after each input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <unistd.h>

#include "capture/connection_flow.hpp"
#include "capture/packet_processor.hpp"
#include "capture/pcap_file_reader.hpp"
#include "capture/pcapng_secrets.hpp"
#include "decoder/analysis/diagnoser.hpp"
#include "decoder/model/event_bus.hpp"
#include "decoder/tls/tls_keylog.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    char path[] = "/tmp/siptap-fuzz-pcap-XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) return 0;
    const bool written = write(fd, data, size) == static_cast<ssize_t>(size);
    close(fd);
    if (written) {
        const auto secrets = capture::read_pcapng_secrets(path);
        decoder::KeyLog keys;
        std::vector<std::string> problems;
        keys.add_text(secrets.keylog, "fuzz.pcapng", problems);
        decoder::EventBus bus;
        decoder::Diagnoser diagnoser(bus, {});
        bus.add_sink(diagnoser);
        capture::ConnectionFlowFactory flows(bus, &keys);
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
