// `siptap live -i IFACE [BPF]`: sniffs an interface through libpcap with the same analysis
// and output as `read`. Ctrl-C (SIGINT) or SIGTERM stops the capture cleanly: open
// connections end as "capture end", then the findings, summary or ladder are printed.
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "capture/connection_flow.hpp"
#include "capture/live_capture.hpp"
#include "capture/packet_processor.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/rsa_key_files.hpp"
#include "decoder/tls/tls_keylog.hpp"

namespace cli {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop.store(true); }

struct LiveCommandOptions {
    std::string interface;
    std::vector<std::string> bpf;
    double duration_s = 0;
    std::uint64_t count = 0;
    bool promiscuous = false;
    std::vector<std::string> rsa_keys;
    OutputOptions output;
};

// Without SA_RESTART, so a blocking poll returns at once and the loop sees the flag.
void install_stop_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

decoder::Micros wall_clock_now() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

int run_live(const LiveCommandOptions& options) {
    capture::LiveOptions live;
    live.interface = options.interface;
    for (const auto& word : options.bpf) live.bpf += (live.bpf.empty() ? "" : " ") + word;
    live.promiscuous = options.promiscuous;
    decoder::KeyLog keys;
    if (!load_rsa_keys(options.rsa_keys, keys)) return kExitUsage;
    capture::LiveCapture source(live);  // throws InputError: exit code 2 with the message

    Pipeline pipeline(options.output);
    capture::ConnectionFlowFactory flows(pipeline.bus(), keys.empty() ? nullptr : &keys);
    capture::PacketProcessor processor(pipeline.bus(), flows);
    capture::LiveLimits limits;
    if (options.duration_s > 0)
        limits.duration = std::chrono::milliseconds(static_cast<std::int64_t>(options.duration_s * 1000));
    if (options.count > 0) limits.count = options.count;

    g_stop.store(false);
    install_stop_handlers();
    std::cerr << "siptap: capturing on " << live.interface
              << (live.bpf.empty() ? std::string() : " (filter: " + live.bpf + ")") << ", Ctrl-C to stop"
              << std::endl;
    const auto result = source.run(processor, g_stop, limits);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);

    processor.finish(std::max(result.last_ts, wall_clock_now()));
    const int rc = pipeline.finish();
    if (!keys.empty()) report_unmatched_rsa_keys(keys);
    std::cerr << "siptap: " << result.packets << " packets captured on " << live.interface << ", "
              << processor.flow_stats().connections << " flows";
    if (result.dropped_by_kernel) std::cerr << ", " << result.dropped_by_kernel << " dropped by the kernel";
    std::cerr << '\n';
    if (result.error) {
        std::cerr << "siptap: " << *result.error << '\n';
        return kExitUsage;
    }
    return rc;
}

}  // namespace

Runner add_live_command(CLI::App& app) {
    auto options = std::make_shared<LiveCommandOptions>();
    auto* live = app.add_subcommand("live", "Sniff an interface (libpcap, needs root or CAP_NET_RAW) with the same "
                                            "analysis as read; Ctrl-C stops and prints the findings");
    live->add_option("-i,--interface", options->interface, "Interface to capture on, e.g. eth0 or lo")->required();
    live->add_option("BPF", options->bpf, "Capture filter (pcap-filter syntax), e.g. 'port 5060 or port 5061'");
    live->add_option("--duration", options->duration_s, "Stop after this many seconds")->check(CLI::PositiveNumber);
    live->add_option("--count", options->count, "Stop after this many packets")->check(CLI::PositiveNumber);
    live->add_flag("--promisc", options->promiscuous, "Put the interface in promiscuous mode");
    add_rsa_key_option(*live, options->rsa_keys);
    add_output_options(*live, options->output);
    return [options] { return run_live(*options); };
}

}  // namespace cli
