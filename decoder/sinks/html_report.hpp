// `--html OUT`: one self-contained HTML file (inline CSS, SVG and JS; nothing fetched):
// findings at the top linking to the events that prove them, then per connection the ladder
// as SVG, certificate cards (the problem highlighted) and every event, each SIP message
// expandable to its raw text. Every piece of text from the wire is HTML-escaped.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "decoder/model/events.hpp"
#include "decoder/sinks/ladder_model.hpp"

namespace decoder {

// Escapes & < > " ' for use in element text and attribute values.
std::string html_escape(std::string_view text);

// The ladder of one connection as an inline <svg>; each row links to "#ev-<seq>".
std::string ladder_svg(const ConnectionLadder& ladder);

// Writes the whole report for the events (in event order). Each leaf certificate's card shows
// Lync's and RFC 6125's name verdicts side by side (certificate_verdicts.hpp says which name).
void write_html_report(std::ostream& out, const std::vector<Event>& events, const std::string& title,
                       const std::string& expect_peer = {});

class HtmlReportSink : public EventSink {
public:
    // Events beyond this are counted and named in the report, not kept (memory stays bounded).
    static constexpr std::size_t kMaxEvents = 20000;
    static constexpr std::size_t kMaxBytes = 64u << 20;

    // Creates the file at once, mode 0600 (it holds decrypted SIP), so that it is open before
    // `proxy --user` gives up root; a failure is kept in error().
    explicit HtmlReportSink(std::string path, std::string expect_peer = {});
    ~HtmlReportSink() override;
    HtmlReportSink(const HtmlReportSink&) = delete;
    HtmlReportSink& operator=(const HtmlReportSink&) = delete;
    void on_event(const Event& event) override;
    // Writes the file; a failure is kept in error() (the CLI reports it), never thrown.
    void on_end() override;

    const std::string& error() const { return error_; }

private:
    std::string path_, expect_peer_, error_;
    int fd_ = -1;
    std::vector<Event> events_;
    std::size_t dropped_ = 0, bytes_ = 0;
};

}  // namespace decoder
