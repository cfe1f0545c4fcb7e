// `--ladder-format mermaid|plantuml`: the ladder model (ladder_model.hpp) written as diagram
// source that renders elsewhere — Mermaid `sequenceDiagram` blocks in Markdown (GitHub, GitLab,
// wikis that render ```mermaid fences) and PlantUML `@startuml ... @enduml` blocks. One diagram
// per connection: both endpoints as participants, one arrow per TLS flight, alert, SIP message
// and the teardown, certificates and findings as notes.
//
// Every label may hold bytes from the wire (reason phrases, Call-IDs, certificate names), so
// each syntax has its own escaper; participants get short ids (P0, P1) and their address only
// as display text, so dots, colons and brackets in addresses never reach the grammar.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "decoder/sinks/ladder_model.hpp"

namespace decoder {

enum class LadderFormat { Text, Mermaid, PlantUml };

// "text", "mermaid", "plantuml"; nullopt for anything else.
std::optional<LadderFormat> ladder_format_from(std::string_view name);
const char* to_string(LadderFormat format);

// One line of label text made inert for the syntax: control characters become spaces, bytes
// that are not UTF-8 become U+FFFD, and the characters the grammar or its markup reads are
// written as entities (Mermaid `#35;`, PlantUML `&#35;`).
std::string mermaid_text(std::string_view label);
std::string plantuml_text(std::string_view label);

// One connection's diagram, teardown sentence and findings as a complete block.
void render_markup(const ConnectionLadder& ladder, LadderFormat format, std::ostream& out);
// A finding whose connection has no diagram (drawn already, or about the whole run): a
// Markdown list item for Mermaid, a comment line outside any block for PlantUML.
void render_markup_finding(const Finding& finding, std::uint64_t conn, LadderFormat format, std::ostream& out);

}  // namespace decoder
