// `siptap read FILE...`: replays pcap/pcapng captures through the decoder and the sinks.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "capture/connection_flow.hpp"
#include "capture/packet_processor.hpp"
#include "capture/pcap_file_reader.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"

namespace cli {

namespace {

struct ReadOptions {
    std::vector<std::string> files;
    OutputOptions output;
};

// "2 bad packets skipped (ipv4: 1, udp: 1)"
std::string bad_packet_line(const capture::Stats& stats) {
    std::string reasons;
    for (const auto& [reason, count] : stats.bad_by_reason)
        reasons += (reasons.empty() ? "" : ", ") + reason + ": " + std::to_string(count);
    return std::to_string(stats.bad_packets) + " bad packet" + (stats.bad_packets == 1 ? "" : "s") +
           " skipped (" + reasons + ")";
}

// Each file is its own capture (the same 5-tuple in two files is two connections), but
// connection ids stay unique across the run: the flow table numbers from 1 per file.
class RunWideIds : public capture::FlowFactory {
public:
    explicit RunWideIds(decoder::EventBus& bus) : inner_(bus) {}
    std::unique_ptr<capture::Flow> open(const capture::FlowInfo& info) override {
        auto shifted = info;
        shifted.id += offset_;
        last_ = std::max(last_, shifted.id);
        return inner_.open(shifted);
    }
    void next_file() { offset_ = last_; }

private:
    capture::ConnectionFlowFactory inner_;
    std::uint64_t offset_ = 0, last_ = 0;
};

// Reads one file to its end; returns false when the file could not be read completely.
bool read_file(const std::string& file, decoder::EventBus& bus, RunWideIds& flows, capture::Stats& total) {
    bool complete = true;
    capture::PacketProcessor processor(bus, flows);
    try {
        capture::PcapFileReader reader(file);
        const auto result = reader.read_all(processor);
        if (result.error) {
            std::cerr << "siptap: " << *result.error << '\n';
            complete = false;
        }
    } catch (const capture::InputError& e) {
        std::cerr << "siptap: " << e.what() << '\n';
        complete = false;
    }
    processor.finish(processor.last_ts());
    const auto& stats = processor.stats();
    if (stats.bad_packets) std::cerr << "siptap: " << file << ": " << bad_packet_line(stats) << '\n';
    total.packets += stats.packets;
    total.bad_packets += stats.bad_packets;
    return complete;
}

int run_read(const ReadOptions& options) {
    Pipeline pipeline(options.output);
    RunWideIds flows(pipeline.bus());
    capture::Stats total;
    bool input_error = false;
    for (const auto& file : options.files) {
        input_error |= !read_file(file, pipeline.bus(), flows, total);
        flows.next_file();
    }
    const int rc = pipeline.finish();
    std::cerr << "siptap: " << options.files.size() << " file" << (options.files.size() == 1 ? "" : "s") << ", "
              << total.packets << " packets, " << total.bad_packets << " bad\n";
    return input_error ? kExitUsage : rc;
}

}  // namespace

Runner add_read_command(CLI::App& app) {
    auto options = std::make_shared<ReadOptions>();
    auto* read = app.add_subcommand("read", "Replay pcap/pcapng captures: SIP over UDP/TCP, TLS handshakes, "
                                            "certificates, teardowns and findings");
    read->add_option("FILE", options->files, "pcap or pcapng files, read in order")->required();
    add_output_options(*read, options->output);
    return [options] { return run_read(*options); };
}

}  // namespace cli
