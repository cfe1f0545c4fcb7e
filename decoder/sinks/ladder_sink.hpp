// `--ladder`: a sequence diagram in the terminal, one per connection, drawn when the
// connection closes (so live capture shows it as it happens) and for the rest at the end.
// Findings are listed under their connection's diagram; findings that arrive after the
// diagram was drawn (rules that wait for the close) follow it as lines of their own.
// With `--ladder-format mermaid|plantuml` a closed connection's block waits for the findings
// its close causes (they come right behind it) and is written before the next other event,
// so every block is complete and balanced.
#pragma once

#include <map>
#include <optional>
#include <ostream>

#include "decoder/sinks/ladder_markup.hpp"
#include "decoder/sinks/ladder_model.hpp"

namespace decoder {

struct LadderStyle {
    int width = 100;     // total line width; labels are cut to fit
    bool color = false;  // ANSI colours; without, plain ASCII only
    LadderFormat format = LadderFormat::Text;
};

// Draws one connection's diagram, its teardown sentence and its findings.
void render_ladder(const ConnectionLadder& ladder, std::ostream& out, const LadderStyle& style);
// One finding as wrapped lines, "  ERROR   code: message".
void render_finding(const Finding& finding, std::ostream& out, const LadderStyle& style, int indent = 2);

class LadderSink : public EventSink {
public:
    LadderSink(std::ostream& out, LadderStyle style) : out_(out), style_(style) {}
    void on_event(const Event& event) override;
    void on_end() override;

private:
    void draw(const ConnectionLadder& ladder);
    void loose_finding(const Event& event, const Finding& finding);

    std::ostream& out_;
    LadderStyle style_;
    std::map<std::uint64_t, ConnectionLadder> open_;
    std::optional<ConnectionLadder> pending_;  // closed, waiting for its findings (markup formats)
    std::uint64_t drawn_ = 0;       // diagrams drawn so far
    std::uint64_t last_drawn_ = 0;  // connection of the last diagram
    bool findings_open_ = false;    // its "findings:" heading is printed
};

}  // namespace decoder
