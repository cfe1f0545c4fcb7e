// `siptap read FILE...`: replays pcap/pcapng captures through the decoder and the sinks.
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

int run_read(const ReadOptions& options) {
    Pipeline pipeline(options.output);
    capture::ConnectionFlowFactory flows(pipeline.bus());
    capture::PacketProcessor processor(pipeline.bus(), flows);
    bool input_error = false;
    for (const auto& file : options.files) {
        try {
            capture::PcapFileReader reader(file);
            const auto bad_before = processor.stats().bad_packets;
            const auto result = reader.read_all(processor);
            if (result.error) {
                std::cerr << "siptap: " << *result.error << '\n';
                input_error = true;
            }
            if (processor.stats().bad_packets > bad_before)
                std::cerr << "siptap: " << file << ": "
                          << processor.stats().bad_packets - bad_before << " bad packets skipped\n";
        } catch (const capture::InputError& e) {
            std::cerr << "siptap: " << e.what() << '\n';
            input_error = true;
        }
    }
    processor.finish(processor.last_ts());
    const int rc = pipeline.finish();
    const auto& stats = processor.stats();
    std::cerr << "siptap: " << stats.packets << " packets, " << processor.flow_stats().connections
              << " flows" << (stats.bad_packets ? ", " + bad_packet_line(stats) : "") << '\n';
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
