// Reads back what `--ladder-format mermaid|plantuml` writes, for the decoder's unit tests and
// the CLI's end-to-end tests: every line must be one statement of the small grammar we emit
// (participant, arrow, note, block start/end), ids must be declared before use, blocks must be
// balanced, and labels must hold no character the syntax would read. Labels are decoded back
// (entities, line breaks) so a test can compare them with the text that went in.
#pragma once

#include <cstddef>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace markup_check {

struct Arrow {
    std::string from, to, kind, label;  // label decoded
};

struct Diagram {
    std::vector<std::string> participants;  // decoded display names, in declaration order
    std::vector<Arrow> arrows;
    std::vector<std::string> notes;  // decoded
};

struct Document {
    std::vector<Diagram> diagrams;
    std::vector<std::string> errors;  // "line 12: ..." — empty when everything parsed
};

// "#35;" "#lt;" ... and "<br/>" back to text.
inline std::string mermaid_decode(const std::string& s) {
    static const std::regex entity(R"(#(\d+|lt|gt|amp|quot);|<br/>)");
    std::string out;
    std::size_t at = 0;
    for (std::sregex_iterator it(s.begin(), s.end(), entity), end; it != end; ++it) {
        out += s.substr(at, static_cast<std::size_t>(it->position()) - at);
        const std::string name = (*it)[1].str();
        if (it->str() == "<br/>") out += '\n';
        else if (name == "lt") out += '<';
        else if (name == "gt") out += '>';
        else if (name == "amp") out += '&';
        else if (name == "quot") out += '"';
        else out += static_cast<char>(std::stoi(name));
        at = static_cast<std::size_t>(it->position() + it->length());
    }
    return out + s.substr(at);
}

// "&#NN;" "\\" "\n" back to text.
inline std::string plantuml_decode(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            out += s[i + 1] == 'n' ? '\n' : s[i + 1];
            ++i;
        } else if (s.compare(i, 2, "&#") == 0 && s.find(';', i) != std::string::npos) {
            const auto semi = s.find(';', i);
            out += static_cast<char>(std::stoi(s.substr(i + 2, semi - i - 2)));
            i = semi;
        } else {
            out += s[i];
        }
    }
    return out;
}

namespace detail {

struct Grammar {
    std::regex begin, end, participant, arrow, note, other;  // `other`: lines allowed outside blocks
    std::string (*decode)(const std::string&);
    bool id_first;  // "participant P0 as NAME" (Mermaid) or "participant "NAME" as P0" (PlantUML)
};

inline void parse(const std::string& text, const Grammar& g, const std::regex& title, Document& doc) {
    std::istringstream in(text);
    std::string line;
    bool inside = false;
    std::set<std::string> ids;
    std::smatch m;
    for (int n = 1; std::getline(in, line); ++n) {
        const auto error = [&](const std::string& what) { doc.errors.push_back("line " + std::to_string(n) + ": " + what + ": " + line); };
        if (!inside) {
            if (std::regex_match(line, g.begin)) {
                inside = true;
                ids.clear();
                doc.diagrams.emplace_back();
            } else if (!line.empty() && !std::regex_match(line, g.other)) {
                error("stray line outside a diagram");
            }
            continue;
        }
        auto& d = doc.diagrams.back();
        if (std::regex_match(line, g.end)) {
            inside = false;
        } else if (std::regex_match(line, m, g.participant)) {
            if (!d.arrows.empty() || !d.notes.empty()) error("participant declared after the first arrow");
            ids.insert(m[g.id_first ? 1 : 2].str());
            d.participants.push_back(g.decode(m[g.id_first ? 2 : 1].str()));
        } else if (std::regex_match(line, m, g.arrow)) {
            if (!ids.count(m[1].str()) || !ids.count(m[3].str())) error("arrow between undeclared participants");
            d.arrows.push_back({m[1].str(), m[3].str(), m[2].str(), g.decode(m[4].str())});
        } else if (std::regex_match(line, m, g.note)) {
            if (!ids.count(m[1].str()) || (m[2].matched && !ids.count(m[2].str()))) error("note on an undeclared participant");
            d.notes.push_back(g.decode(m[3].str()));
        } else if (!std::regex_match(line, title)) {
            error("not a statement of the grammar, or a label with a raw special character");
        }
    }
    if (inside) doc.errors.push_back("the last diagram is not closed");
}

}  // namespace detail

// Markdown with ```mermaid blocks, as --ladder-format mermaid writes it.
inline Document parse_mermaid(const std::string& text) {
    // A label: anything but the characters Mermaid's lexer or the HTML label would read,
    // except as the entities and line breaks we write.
    const std::string t = R"(((?:[^#;%<>`&"]|#(?:\d+|lt|gt|amp|quot);|<br/>)*))";
    const detail::Grammar g{std::regex("```mermaid"),
                            std::regex("```"),
                            std::regex("    participant (P\\d+) as " + t),
                            std::regex("    (P\\d+)(->>|-->>|-x)(P\\d+): " + t),
                            std::regex("    Note (?:right of|left of|over) (P\\d+)(?:,(P\\d+))?: " + t),
                            std::regex("### .*|```text|```|finding .*"),
                            mermaid_decode,
                            true};
    Document doc;
    detail::parse(text, g, std::regex("sequenceDiagram"), doc);
    return doc;
}

// @startuml blocks, as --ladder-format plantuml writes them.
inline Document parse_plantuml(const std::string& text) {
    const std::string t = R"(((?:[^<>&"'~*/_\-=\[\]^|#`{}\\]|&#\d+;|\\\\|\\n)*))";
    const detail::Grammar g{std::regex("@startuml"),
                            std::regex("@enduml"),
                            std::regex("participant \"" + t + "\" as (P\\d+)"),
                            std::regex("(P\\d+) (->|-->|->x) (P\\d+) : " + t),
                            std::regex("note (?:right of|left of|over) (P\\d+)(?:, (P\\d+))? : " + t),
                            std::regex("' .*"),
                            plantuml_decode,
                            false};
    Document doc;
    detail::parse(text, g, std::regex("title " + t), doc);
    return doc;
}

}  // namespace markup_check
