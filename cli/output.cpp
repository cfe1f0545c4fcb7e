#include "cli/output.hpp"

#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/commands.hpp"
#include "cli/hep_sender.hpp"
#include "decoder/analysis/diagnoser.hpp"
#include "decoder/sinks/hep_encoder.hpp"
#include "decoder/model/event_filter.hpp"
#include "decoder/sinks/json_sink.hpp"
#include "decoder/sinks/ladder_sink.hpp"
#include "decoder/sinks/summary_sink.hpp"
#include "decoder/sinks/text_sink.hpp"

namespace cli {

namespace {

// The terminal's width when stdout is one, else $COLUMNS, else 100.
int output_width() {
    winsize ws{};
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    if (const char* c = std::getenv("COLUMNS"); c && std::atoi(c) > 0) return std::atoi(c);
    return 100;
}

}  // namespace

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
    command.add_flag("--ladder", options.ladder,
                     "Sequence diagram per connection (drawn when it closes): TCP connect, TLS steps, "
                     "certificates, SIP messages, who hung up and how, then the findings");
    command.add_option("--ladder-format", options.ladder_format,
                       "Ladder as text (the terminal drawing, plain), mermaid (Markdown with one ```mermaid "
                       "sequenceDiagram block per connection) or plantuml (one @startuml block per connection); "
                       "implies --ladder")
        ->check(CLI::IsMember({"text", "mermaid", "plantuml"}));
    command.add_option("--ladder-out", options.ladder_out,
                       "Write the ladder to this file instead of stdout (implies --ladder); stdout keeps the "
                       "event lines, or JSON with --json");
    command.add_option("--html", options.html,
                       "Write one self-contained HTML report: findings linked to their evidence, ladder, "
                       "certificate cards, every SIP message with its raw text");
    command.add_option("--filter", options.filter, decoder::filter_help())
        ->check([](const std::string& expr) {
            try {
                decoder::EventFilter::parse(expr);
            } catch (const std::invalid_argument& e) {
                return std::string(e.what());
            }
            return std::string();
        });
    command.add_option("--hep", options.hep, "Send every SIP message as HEPv3 over UDP to this HOMER server (ADDR:PORT)");
    command.add_option("--hep-id", options.hep_id, "HEP capture agent id (default 2001)");
    command.add_option("--expect-peer", options.expect_peer,
                       "FQDN the connecting peer's (client's) certificate subject CN must equal, as Lync checks "
                       "it; also the name its Lync and RFC 6125 verdicts are given for (a server certificate is "
                       "judged against the SNI, else against its own first host name: form only)");
    command.add_option("--ca-file", options.ca_file, "PEM file of trusted root CAs for chain checks");
    // Decoding limits only: what exceeds them is reported (a notice) and no longer decoded, and
    // a relay still forwards every byte.
    command.add_option("--max-sip-bytes", options.sip_limits.max_message_bytes,
                       "Largest SIP message decoded; a bigger one gives a notice and ends decoding of that direction")
        ->check(CLI::Range(std::size_t{1024}, decoder::kMaxSipBytesCeiling))
        ->capture_default_str();
    command.add_option("--max-sip-headers", options.sip_limits.max_headers,
                       "Most header lines in a SIP message decoded; more give a notice and end decoding of that direction")
        ->check(CLI::Range(std::size_t{8}, decoder::kMaxSipHeadersCeiling))
        ->capture_default_str();
}

Pipeline::Pipeline(const OutputOptions& options) {
    decoder::set_process_sip_limits(options.sip_limits);
    // Analysis first: its findings are queued behind the event that caused them.
    sinks_.push_back(std::make_unique<decoder::Diagnoser>(
        bus_, decoder::DiagnosisOptions{options.expect_peer, options.ca_file}));
    auto counter = std::make_unique<ErrorCounter>();
    errors_ = counter.get();
    sinks_.push_back(std::move(counter));
    const auto format = decoder::ladder_format_from(options.ladder_format).value_or(decoder::LadderFormat::Text);
    const bool ladder = options.ladder || !options.ladder_format.empty() || !options.ladder_out.empty();
    const bool tty = isatty(STDOUT_FILENO);
    const bool flush_each_input = tty || !options.batch_output;
    if (!options.ladder_out.empty()) {
        ladder_out_ = options.ladder_out;
        ladder_file_.open(ladder_out_, std::ios::binary | std::ios::trunc);
        if (!ladder_file_) throw std::runtime_error("--ladder-out " + ladder_out_ + ": cannot write the file");
        sinks_.push_back(std::make_unique<decoder::LadderSink>(ladder_file_, decoder::LadderStyle{100, false, format}));
    }
    if (options.json && options.prerendered_json) {
        auto json = std::make_unique<decoder::PrerenderedJsonSink>(std::cout, flush_each_input);
        prerendered_json_ = json.get();
        sinks_.push_back(std::move(json));
    } else if (options.json) {
        sinks_.push_back(std::make_unique<decoder::JsonSink>(std::cout, flush_each_input));
    } else if (ladder && options.ladder_out.empty()) {
        const bool color = !options.no_color && tty && format == decoder::LadderFormat::Text;
        sinks_.push_back(
            std::make_unique<decoder::LadderSink>(std::cout, decoder::LadderStyle{output_width(), color, format}));
    } else {
        const bool color = !options.no_color && tty;
        sinks_.push_back(std::make_unique<decoder::TextSink>(std::cout, color, options.expect_peer, flush_each_input));
        if (!options.no_summary)
            sinks_.push_back(std::make_unique<decoder::SummarySink>(std::cout, color, options.expect_peer));
    }
    if (!options.html.empty()) {
        auto html = std::make_unique<decoder::HtmlReportSink>(options.html, options.expect_peer);
        html_ = html.get();
        sinks_.push_back(std::move(html));
    }
    if (!options.hep.empty()) {
        hep_ = std::make_unique<HepSender>(options.hep);
        const char* password = std::getenv("SIPTAP_HEP_PASSWORD");  // never on the command line
        sinks_.push_back(std::make_unique<decoder::HepSink>(
            decoder::HepOptions{options.hep_id, password ? password : "", "siptap"}, &HepSender::send, hep_.get()));
    }
    if (!options.filter.empty()) {
        // Analysis and the error count see everything; what is shown or exported goes through
        // the filter.
        std::vector<decoder::EventSink*> shown;
        for (std::size_t i = 2; i < sinks_.size(); ++i) shown.push_back(sinks_[i].get());
        sinks_.push_back(std::make_unique<decoder::FilterSink>(decoder::EventFilter::parse(options.filter), shown));
        for (std::size_t i : {std::size_t{0}, std::size_t{1}, sinks_.size() - 1}) bus_.add_sink(*sinks_[i]);
        return;
    }
    for (auto& s : sinks_) bus_.add_sink(*s);
}

Pipeline::~Pipeline() = default;

int Pipeline::finish() {
    bus_.end();
    if (!std::cout.flush()) {  // a full disk or a closed reader: the output is incomplete
        std::cerr << "siptap: writing to stdout failed: the output is incomplete\n";
        return kExitUsage;
    }
    if (ladder_file_.is_open() && !ladder_file_.flush()) {
        std::cerr << "siptap: --ladder-out " << ladder_out_ << ": writing the ladder failed\n";
        return kExitUsage;
    }
    if (html_ && !html_->error().empty()) {
        std::cerr << "siptap: " << html_->error() << '\n';
        return kExitUsage;
    }
    return errors_->errors > 0 ? kExitFindings : kExitOk;
}

}  // namespace cli
