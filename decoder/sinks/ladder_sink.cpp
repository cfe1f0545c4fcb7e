#include "decoder/sinks/ladder_sink.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace decoder {

namespace {

constexpr int kTimeWidth = 13;  // "HH:MM:SS.mmm "
constexpr const char* kReset = "\033[0m";

const char* tone_color(Tone t) {
    switch (t) {
        case Tone::Plain: return "\033[1m";
        case Tone::Tls: return "\033[35m";
        case Tone::Request: return "\033[36m";
        case Tone::Success: return "\033[32m";
        case Tone::Failure:
        case Tone::Problem: return "\033[1;31m";
        case Tone::Muted: return "\033[2m";
    }
    return "";
}

// Network input may hold anything: keep labels to printable ASCII so widths hold and no
// escape sequence from the wire reaches the terminal.
std::string printable(const std::string& s) {
    std::string out = s;
    for (auto& ch : out)
        if (ch < 0x20 || ch > 0x7e) ch = '?';
    return out;
}

std::string fit(const std::string& s, int n) {
    if (n <= 0) return {};
    if (static_cast<int>(s.size()) <= n) return s;
    if (n <= 3) return s.substr(0, static_cast<std::size_t>(n));
    return s.substr(0, static_cast<std::size_t>(n - 3)) + "...";
}

struct Layout {
    int width = 0;
    std::vector<int> centers;
};

Layout layout(const ConnectionLadder& l, int width) {
    Layout lay;
    lay.width = std::max(width, 50);
    const int n = std::max<int>(1, static_cast<int>(l.columns().size()));
    int widest = 8;
    for (const auto& c : l.columns()) widest = std::max<int>(widest, static_cast<int>(c.to_string().size()));
    const int span = lay.width - kTimeWidth;
    const int margin = std::min(widest / 2 + 1, span / (2 * n));
    const int first = kTimeWidth + margin, last = lay.width - 1 - margin;
    for (int i = 0; i < n; ++i) lay.centers.push_back(n == 1 ? (first + last) / 2 : first + i * (last - first) / (n - 1));
    return lay;
}

void put(std::string& line, int at, const std::string& text) {
    for (std::size_t i = 0; i < text.size() && at + static_cast<int>(i) < static_cast<int>(line.size()); ++i)
        if (at + static_cast<int>(i) >= 0) line[static_cast<std::size_t>(at) + i] = text[i];
}

std::string centered(const Layout& lay, const std::vector<std::string>& texts) {
    std::string line(static_cast<std::size_t>(lay.width), ' ');
    const int slot = lay.centers.size() > 1 ? lay.centers[1] - lay.centers[0] - 1 : lay.width - kTimeWidth;
    for (std::size_t i = 0; i < texts.size() && i < lay.centers.size(); ++i) {
        const auto t = fit(printable(texts[i]), slot);
        put(line, lay.centers[i] - static_cast<int>(t.size()) / 2, t);
    }
    return line;
}

// One row: lifelines, then the arrow or note; returns the line and the span to colour.
std::string draw_row(const Layout& lay, const LadderRow& row, int& lo, int& hi) {
    std::string line(static_cast<std::size_t>(lay.width), ' ');
    put(line, 0, format_rfc3339(row.ts).substr(11, 12));
    for (int c : lay.centers) line[static_cast<std::size_t>(c)] = '|';
    const int n = static_cast<int>(lay.centers.size());
    const int xa = lay.centers[static_cast<std::size_t>(std::clamp(row.from, 0, n - 1))];
    const std::string label = printable(row.label);
    if (row.to && *row.to != row.from) {
        const int xb = lay.centers[static_cast<std::size_t>(std::clamp(*row.to, 0, n - 1))];
        lo = std::min(xa, xb);
        hi = std::max(xa, xb);
        const char fill = row.kind == RowKind::Teardown ? '=' : '-';
        for (int x = lo + 1; x < hi; ++x) line[static_cast<std::size_t>(x)] = fill;
        line[static_cast<std::size_t>(xb > xa ? hi - 1 : lo + 1)] = xb > xa ? '>' : '<';
        if (row.kind == RowKind::Teardown) line[static_cast<std::size_t>(xa)] = 'X';
        const auto text = " " + fit(label, hi - lo - 7) + " ";
        put(line, lo + (hi - lo + 1 - static_cast<int>(text.size())) / 2, text);
        return line;
    }
    // A note sits in the gap beside its column: to the right, or to the left of the last one.
    const int col = std::clamp(row.from, 0, n - 1);
    const bool right = col < n - 1 || n == 1;
    const int room = right ? (col < n - 1 ? lay.centers[static_cast<std::size_t>(col) + 1] : lay.width) - xa - 3
                           : xa - lay.centers[static_cast<std::size_t>(col) - 1] - 3;
    const auto text = "[" + fit(label, room - 2) + "]";
    lo = right ? xa + 2 : xa - 1 - static_cast<int>(text.size());
    hi = lo + static_cast<int>(text.size()) - 1;
    put(line, lo, text);
    return line;
}

void emit_line(std::ostream& out, std::string line, const LadderStyle& style, int lo, int hi, Tone tone) {
    while (!line.empty() && line.back() == ' ') line.pop_back();
    if (style.color && lo >= 0 && hi >= lo && hi < static_cast<int>(line.size()))
        line = line.substr(0, static_cast<std::size_t>(lo)) + tone_color(tone) +
               line.substr(static_cast<std::size_t>(lo), static_cast<std::size_t>(hi - lo + 1)) + kReset +
               line.substr(static_cast<std::size_t>(hi) + 1);
    out << line << '\n';
}

// Words of `text` in lines of at most `width`, the first after `first`, the rest indented.
void wrap(std::ostream& out, const std::string& first, const std::string& text, int width) {
    std::istringstream words(printable(text));
    std::string word, line = first;
    const std::string indent(first.size(), ' ');
    bool empty = true;
    while (words >> word) {
        if (!empty && static_cast<int>(line.size() + 1 + word.size()) > width) {
            out << line << '\n';
            line = indent;
            empty = true;
        }
        line += (empty ? "" : " ") + word;
        empty = false;
    }
    out << line << '\n';
}

}  // namespace

void render_finding(const Finding& f, std::ostream& out, const LadderStyle& style, int indent) {
    std::string severity = to_string(f.severity);
    for (auto& ch : severity) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    std::string head = std::string(static_cast<std::size_t>(indent), ' ') + severity;
    head.resize(static_cast<std::size_t>(indent) + 8, ' ');
    std::ostringstream body;
    wrap(body, head, f.code + ": " + f.message, std::max(style.width, 50));
    if (style.color) {
        const char* c = f.severity == Severity::Error ? "\033[1;31m" : f.severity == Severity::Warning ? "\033[33m" : "";
        out << c << body.str().substr(0, head.size()) << kReset << body.str().substr(head.size());
    } else {
        out << body.str();
    }
}

void render_ladder(const ConnectionLadder& l, std::ostream& out, const LadderStyle& style) {
    const auto lay = layout(l, style.width);
    std::string title = "=== #" + std::to_string(l.conn()) + " " + to_string(l.transport());
    for (std::size_t i = 0; i < l.columns().size(); ++i)
        title += (i ? " <-> " : " ") + l.columns()[i].to_string();
    out << printable(fit(title + " ", lay.width - 4)) << "===\n";
    std::vector<std::string> names, roles;
    for (std::size_t i = 0; i < l.columns().size(); ++i) {
        names.push_back(l.columns()[i].to_string());
        const auto role = l.role(static_cast<int>(i));
        roles.push_back(role.empty() ? "" : "(" + role + ")");
    }
    emit_line(out, centered(lay, names), style, -1, -1, Tone::Plain);
    emit_line(out, centered(lay, roles), style, -1, -1, Tone::Plain);
    for (const auto& row : l.rows()) {
        int lo = -1, hi = -1;
        auto line = draw_row(lay, row, lo, hi);
        emit_line(out, std::move(line), style, lo, hi, row.tone);
    }
    if (l.dropped_rows()) out << "  ... " << l.dropped_rows() << " more rows not drawn\n";
    if (l.close()) wrap(out, "  teardown: ", teardown_sentence(*l.close()), lay.width);
    if (!l.findings().empty()) out << "  findings:\n";
    for (const auto& [seq, f] : l.findings()) render_finding(f, out, style, 4);
}

void LadderSink::on_event(const Event& e) {
    const auto* f = e.as<Finding>();
    if (pending_) {
        if (f && e.conn == pending_->conn()) {
            pending_->add(e);
            return;
        }
        draw(*pending_);
        pending_.reset();
    }
    auto it = open_.find(e.conn);
    if (it == open_.end()) {
        if (f) return loose_finding(e, *f);
        it = open_.emplace(e.conn, ConnectionLadder(e.conn)).first;
    }
    it->second.add(e);
    if (it->second.closed()) {
        if (style_.format == LadderFormat::Text) draw(it->second);
        else pending_ = std::move(it->second);
        open_.erase(it);
    }
}

// The connection's diagram is already drawn (rules that wait for the close), or the finding
// is about the whole run: in text it goes under the last diagram's findings.
void LadderSink::loose_finding(const Event& e, const Finding& f) {
    if (style_.format != LadderFormat::Text) {
        render_markup_finding(f, e.conn, style_.format, out_);
        out_.flush();
        return;
    }
    if (e.conn != last_drawn_ || !findings_open_)
        out_ << "  findings" << (e.conn != last_drawn_ ? " (#" + std::to_string(e.conn) + ")" : "") << ":\n";
    last_drawn_ = e.conn;
    findings_open_ = true;
    render_finding(f, out_, style_, 4);
    out_.flush();
}

void LadderSink::draw(const ConnectionLadder& ladder) {
    if (style_.format != LadderFormat::Text) {
        render_markup(ladder, style_.format, out_);
        out_.flush();
        return;
    }
    if (drawn_++) out_ << '\n';
    render_ladder(ladder, out_, style_);
    last_drawn_ = ladder.conn();
    findings_open_ = !ladder.findings().empty();
    out_.flush();
}

void LadderSink::on_end() {
    if (pending_) draw(*pending_);
    pending_.reset();
    for (const auto& [conn, ladder] : open_) draw(ladder);
    open_.clear();
    out_.flush();
}

}  // namespace decoder
