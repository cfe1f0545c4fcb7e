// Arbitrary bytes as a Network Monitor 2.x image (.cap), read from memory as `siptap read`
// reads a mapped .cap file: the header, the frame table, each frame's media type, then the
// packet layers, reassembly and the decoder.
#include <cstddef>
#include <cstdint>
#include <span>

#include "capture/connection_flow.hpp"
#include "capture/netmon_reader.hpp"
#include "capture/packet_processor.hpp"
#include "decoder/analysis/diagnoser.hpp"
#include "decoder/model/event_bus.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    decoder::EventBus bus;
    decoder::Diagnoser diagnoser(bus, {});
    bus.add_sink(diagnoser);
    capture::ConnectionFlowFactory flows(bus);
    capture::PacketProcessor processor(bus, flows);
    capture::read_netmon(std::span(reinterpret_cast<const std::byte*>(data), size), "fuzz.cap", processor);
    processor.finish(processor.last_ts());
    bus.end();
    return 0;
}
