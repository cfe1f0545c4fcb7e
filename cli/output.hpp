// The output side every subcommand shares: options (--json, --no-color, diagnosis inputs)
// and the pipeline bus -> diagnosis -> sinks, plus the exit code it implies.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "decoder/model/event_bus.hpp"
#include "decoder/sinks/html_report.hpp"
#include "decoder/sinks/prerendered_json.hpp"
#include "decoder/sip/sip_parser.hpp"

namespace cli {

struct OutputOptions {
    bool json = false;
    bool no_color = false;
    bool no_summary = false;
    bool ladder = false;      // sequence diagram instead of event lines
    std::string ladder_format;  // text | mermaid | plantuml; given at all, it implies ladder
    std::string ladder_out;   // write the ladder here; stdout keeps the usual output
    std::string html;         // write a self-contained HTML report here
    std::string filter;       // --filter expression (decoder/model/event_filter.hpp)
    std::string hep;          // HOMER server ADDR:PORT for HEPv3 over UDP
    std::uint32_t hep_id = 2001;
    std::string expect_peer;  // FQDN the peer's certificate CN must equal
    std::string ca_file;      // trusted roots for untrusted-issuer / self-signed
    decoder::SipLimits sip_limits;  // --max-sip-bytes, --max-sip-headers
    // A file is read (not live): when stdout is not a terminal the output is written in large
    // blocks instead of being flushed after every input.
    bool batch_output = false;
    // `read --threads`: the JSON lines are written by the decoding threads (prerendered_json.hpp).
    bool prerendered_json = false;
};

void add_output_options(CLI::App& command, OutputOptions& options);

class Pipeline {
public:
    // Throws std::runtime_error (naming the file) when --ca-file cannot be read or
    // --ladder-out cannot be written.
    explicit Pipeline(const OutputOptions& options);
    ~Pipeline();

    decoder::EventBus& bus() { return bus_; }
    // Ends the run (findings that wait for the end, the summary) and returns 0 or 1.
    int finish();
    // The JSON sink taking lines written elsewhere, with OutputOptions::prerendered_json and --json.
    decoder::PrerenderedJsonSink* prerendered_json() const { return prerendered_json_; }

private:
    decoder::EventBus bus_;
    std::string ladder_out_;
    std::ofstream ladder_file_;  // before sinks_: the sink writing to it goes first
    std::vector<std::unique_ptr<decoder::EventSink>> sinks_;
    std::unique_ptr<class HepSender> hep_;
    class ErrorCounter;
    ErrorCounter* errors_ = nullptr;
    decoder::HtmlReportSink* html_ = nullptr;
    decoder::PrerenderedJsonSink* prerendered_json_ = nullptr;
};

}  // namespace cli
