#include "cli/output.hpp"

#include <iostream>
#include <unistd.h>

#include "cli/commands.hpp"
#include "decoder/diagnoser.hpp"
#include "decoder/json_sink.hpp"
#include "decoder/text_sink.hpp"

namespace cli {

class Pipeline::ErrorCounter : public decoder::EventSink {
public:
    void on_event(const decoder::Event& e) override {
        if (const auto* f = e.as<decoder::Finding>(); f && f->severity == decoder::Severity::Error) ++errors;
    }
    std::uint64_t errors = 0;
};

void add_output_options(CLI::App& command, OutputOptions& options) {
    command.add_flag("--json", options.json, "JSON lines, one event per line (SPEC.md contract)");
    command.add_flag("--no-color", options.no_color, "No colour even on a terminal");
    command.add_flag("--no-summary", options.no_summary, "No per-connection summary at the end");
    command.add_option("--expect-peer", options.expect_peer,
                       "FQDN the peer's certificate subject CN must equal (as Lync checks it)");
    command.add_option("--ca-file", options.ca_file, "PEM file of trusted root CAs for chain checks");
}

Pipeline::Pipeline(const OutputOptions& options) {
    // Analysis first: its findings are queued behind the event that caused them.
    sinks_.push_back(std::make_unique<decoder::Diagnoser>(
        bus_, decoder::DiagnosisOptions{options.expect_peer, options.ca_file}));
    auto counter = std::make_unique<ErrorCounter>();
    errors_ = counter.get();
    sinks_.push_back(std::move(counter));
    if (options.json) {
        sinks_.push_back(std::make_unique<decoder::JsonSink>(std::cout));
    } else {
        const bool color = !options.no_color && isatty(STDOUT_FILENO);
        sinks_.push_back(std::make_unique<decoder::TextSink>(std::cout, color));
    }
    for (auto& s : sinks_) bus_.add_sink(*s);
}

Pipeline::~Pipeline() = default;

int Pipeline::finish() {
    bus_.end();
    std::cout.flush();
    return errors_->errors > 0 ? kExitFindings : kExitOk;
}

}  // namespace cli
