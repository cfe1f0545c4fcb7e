#include "decoder/sinks/ladder_markup.hpp"

#include <sstream>

#include "decoder/base/text_util.hpp"
#include "decoder/base/utf8.hpp"

namespace decoder {

namespace {

constexpr std::size_t kArrowChars = 120;  // an arrow label longer than this is cut
constexpr std::size_t kNoteChars = 72;    // notes wrap at this width

// What differs between the two syntaxes; the walk over the ladder is shared.
struct Syntax {
    std::string (*text)(std::string_view);
    const char* line_break;  // inside a label
    const char* solid;       // arrow kinds
    const char* dashed;
    const char* cross;
    const char* indent;
    const char* note;        // "Note" / "note"
    const char* note_colon;  // between the note's position and its text
    const char* over_sep;    // between the two ids of "over A,B"
    const char* arrow_colon;
};

const Syntax kMermaid{mermaid_text, "<br/>", "->>", "-->>", "-x", "    ", "Note", ": ", ",", ": "};
const Syntax kPlantUml{plantuml_text, "\\n", " -> ", " --> ", " ->x ", "", "note", " : ", ", ", " : "};

// Appends the UTF-8 sequence at s[i] (or U+FFFD for a stray byte); returns its length.
std::size_t append_utf8(std::string& out, std::string_view s, std::size_t i) {
    if (const auto n = utf8_length(s, i)) {
        out.append(s.substr(i, n));
        return n;
    }
    out += "\xEF\xBF\xBD";
    return 1;
}

// The shared escaping loop: `entity(c)` returns the replacement for an ASCII character the
// syntax reads, or an empty string to keep it.
template <class Entity>
std::string escape(std::string_view s, Entity entity) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            i += append_utf8(out, s, i);
            continue;
        }
        ++i;
        if (c < 0x20 || c == 0x7f) {
            out += ' ';  // a newline or tab would end the statement
        } else if (const auto e = entity(static_cast<char>(c)); !e.empty()) {
            out += e;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

std::string cut(const std::string& s, std::size_t n) { return s.size() <= n ? s : s.substr(0, n - 3) + "..."; }

// Words of `text` in lines of at most kNoteChars, each escaped, joined by the syntax's break.
std::string note_text(const std::string& text, const Syntax& syn) {
    std::istringstream words(text);
    std::string word, line, out;
    auto flush = [&] {
        if (line.empty()) return;
        out += (out.empty() ? "" : syn.line_break) + syn.text(line);
        line.clear();
    };
    while (words >> word) {
        if (!line.empty() && line.size() + 1 + word.size() > kNoteChars) flush();
        line += (line.empty() ? "" : " ") + word;
    }
    flush();
    return out.empty() ? syn.text(" ") : out;
}

std::string id(int column) { return "P" + std::to_string(column); }

std::string over_all(const ConnectionLadder& l, const Syntax& syn) {
    const int n = static_cast<int>(l.columns().size());
    return std::string("over ") + id(0) + (n > 1 ? syn.over_sep + id(n - 1) : "");
}

void note_line(std::ostream& out, const Syntax& syn, const std::string& where, const std::string& text) {
    out << syn.indent << syn.note << " " << where << syn.note_colon << note_text(text, syn) << "\n";
}

void row_line(std::ostream& out, const ConnectionLadder& l, const LadderRow& row, const Syntax& syn) {
    const int n = static_cast<int>(l.columns().size());
    if (row.to && *row.to != row.from && *row.to < n && row.from < n) {
        const char* arrow = row.kind == RowKind::Teardown                             ? syn.cross
                            : row.kind == RowKind::Sip && row.tone != Tone::Request ? syn.dashed
                                                                                    : syn.solid;
        out << syn.indent << id(row.from) << arrow << id(*row.to) << syn.arrow_colon
            << syn.text(cut(row.label, kArrowChars)) << "\n";
        return;
    }
    // A note beside its column: right of it, or left of the last column so it stays inside.
    const int col = row.from < n ? row.from : 0;
    const bool left = n > 1 && col == n - 1;
    note_line(out, syn, std::string(left ? "left of " : "right of ") + id(col), row.label);
}

std::string participant_name(const ConnectionLadder& l, int column) {
    const auto role = l.role(column);
    return l.columns()[static_cast<std::size_t>(column)].to_string() + (role.empty() ? "" : " (" + role + ")");
}

std::string title(const ConnectionLadder& l, const char* arrow) {
    std::string t = "Connection #" + std::to_string(l.conn()) + " (" + to_string(l.transport()) + ")";
    for (std::size_t i = 0; i < l.columns().size(); ++i) t += (i ? arrow : " ") + l.columns()[i].to_string();
    return t;
}

void begin(std::ostream& out, const ConnectionLadder& l, LadderFormat format) {
    const int n = static_cast<int>(l.columns().size());
    if (format == LadderFormat::Mermaid) {
        // Markdown around the block; addresses in a code span so brackets of IPv6 stay literal.
        out << "### Connection #" << l.conn() << " (" << to_string(l.transport()) << ")";
        for (int i = 0; i < n; ++i)
            out << (i ? " ↔ `" : " `") << mermaid_text(l.columns()[static_cast<std::size_t>(i)].to_string()) << "`";
        out << "\n\n```mermaid\nsequenceDiagram\n";
        for (int i = 0; i < n; ++i)
            out << "    participant " << id(i) << " as " << mermaid_text(participant_name(l, i)) << "\n";
        return;
    }
    out << "@startuml\ntitle " << plantuml_text(title(l, " <-> ")) << "\n";
    for (int i = 0; i < n; ++i) {
        const auto role = l.role(i);
        out << "participant \"" << plantuml_text(l.columns()[static_cast<std::size_t>(i)].to_string())
            << (role.empty() ? "" : "\\n(" + role + ")") << "\" as " << id(i) << "\n";
    }
}

}  // namespace

std::optional<LadderFormat> ladder_format_from(std::string_view name) {
    if (name == "text") return LadderFormat::Text;
    if (name == "mermaid") return LadderFormat::Mermaid;
    if (name == "plantuml") return LadderFormat::PlantUml;
    return std::nullopt;
}

const char* to_string(LadderFormat f) {
    switch (f) {
        case LadderFormat::Text: return "text";
        case LadderFormat::Mermaid: return "mermaid";
        case LadderFormat::PlantUml: return "plantuml";
    }
    return "?";
}

std::string mermaid_text(std::string_view s) {
    // The lexer ends a statement at ';' and drops the rest of a line after '#'; Mermaid
    // decodes "#name;" / "#NN;" entities before it parses, so those spell both safely. '<'
    // and '&' would be HTML in the rendered label, '`' could close the Markdown fence, '%'
    // could start a "%%" comment or directive.
    return escape(s, [](char c) -> std::string {
        switch (c) {
            case '#': return "#35;";
            case ';': return "#59;";
            case '<': return "#lt;";
            case '>': return "#gt;";
            case '&': return "#amp;";
            case '"': return "#quot;";
            case '%': return "#37;";
            case '`': return "#96;";
            default: return {};
        }
    });
}

std::string plantuml_text(std::string_view s) {
    // Creole markup (** // "" -- __ ~~ [[ ]] <tags> <img:...>), '~' escapes and '"' ending a
    // quoted name: written as "&#NN;", which PlantUML decodes. Not '\' or '$': PlantUML 1.2020
    // puts decoded entities through a Java regex replacement, where those two crash the
    // renderer; '\' is doubled instead (a lone one starts "\n") and '$' is harmless as it is.
    return escape(s, [](char c) -> std::string {
        if (c == '\\') return "\\\\";
        static constexpr std::string_view kMarkup = "<>&\"'~*/_-=[]^|#`{}";
        if (kMarkup.find(c) != std::string_view::npos) return "&#" + std::to_string(static_cast<int>(c)) + ";";
        return {};
    });
}

void render_markup(const ConnectionLadder& l, LadderFormat format, std::ostream& out) {
    const Syntax& syn = format == LadderFormat::Mermaid ? kMermaid : kPlantUml;
    begin(out, l, format);
    const bool any_column = !l.columns().empty();
    if (any_column) {
        for (const auto& row : l.rows()) row_line(out, l, row, syn);
        if (l.dropped_rows())
            note_line(out, syn, over_all(l, syn), std::to_string(l.dropped_rows()) + " more rows not drawn");
        if (l.close()) note_line(out, syn, over_all(l, syn), "teardown: " + teardown_sentence(*l.close()));
        for (const auto& [seq, f] : l.findings())
            note_line(out, syn, over_all(l, syn), upper(to_string(f.severity)) + " " + f.code + ": " + f.message);
    }
    out << (format == LadderFormat::Mermaid ? "```\n\n" : "@enduml\n\n");
    if (!any_column)
        for (const auto& [seq, f] : l.findings()) render_markup_finding(f, l.conn(), format, out);
}

void render_markup_finding(const Finding& f, std::uint64_t conn, LadderFormat format, std::ostream& out) {
    // Outside a diagram only the line structure matters: one line, no backtick to end the fence.
    const auto line = escape(upper(to_string(f.severity)) + " " + f.code + ": " + f.message,
                             [](char c) { return std::string(c == '`' ? "'" : ""); });
    if (format == LadderFormat::Mermaid)
        out << "```text\nfinding (connection #" << conn << "): " << line << "\n```\n\n";
    else
        out << "' finding (connection #" << conn << "): " << line << "\n\n";
}

}  // namespace decoder
