// The ladder of one connection drawn as inline SVG (part of html_report).
#include <algorithm>
#include <sstream>

#include "decoder/sinks/html_report.hpp"

namespace decoder {

namespace {

constexpr int kWidth = 960, kTop = 64, kRow = 30, kTimeX = 8;
constexpr double kCharWidth = 7.2;  // 12px monospace

const char* tone_class(Tone t) {
    switch (t) {
        case Tone::Plain: return "plain";
        case Tone::Tls: return "tls";
        case Tone::Request: return "req";
        case Tone::Success: return "ok";
        case Tone::Failure: return "fail";
        case Tone::Problem: return "problem";
        case Tone::Muted: return "muted";
    }
    return "plain";
}

std::string cut(const std::string& s, int pixels) {
    const auto n = static_cast<std::size_t>(std::max(0.0, pixels / kCharWidth));
    if (s.size() <= n) return s;
    return n <= 1 ? std::string() : s.substr(0, n - 1) + "\xE2\x80\xA6";  // ellipsis
}

std::vector<int> column_x(std::size_t n) {
    std::vector<int> xs;
    const int first = 190, last = kWidth - 150;
    for (std::size_t i = 0; i < n; ++i)
        xs.push_back(n == 1 ? (first + last) / 2 : first + static_cast<int>(i) * (last - first) / static_cast<int>(n - 1));
    return xs;
}

void draw_arrow(std::ostringstream& s, std::uint64_t conn, const LadderRow& row, int xa, int xb, int y) {
    const bool teardown = row.kind == RowKind::Teardown;
    s << "<line class=\"arrow " << (teardown ? "teardown" : "") << "\" x1=\"" << xa << "\" y1=\"" << y << "\" x2=\""
      << (xb > xa ? xb - 2 : xb + 2) << "\" y2=\"" << y << "\" marker-end=\"url(#head-" << conn << ")\"/>";
    if (teardown)
        s << "<path class=\"cross\" d=\"M" << xa - 7 << ' ' << y - 7 << " l14 14 M" << xa + 7 << ' ' << y - 7
          << " l-14 14\"/>";
    const int mid = (xa + xb) / 2;
    s << "<text class=\"label\" x=\"" << mid << "\" y=\"" << y - 5 << "\" text-anchor=\"middle\">"
      << html_escape(cut(row.label, std::abs(xb - xa) - 16)) << "</text>";
}

void draw_note(std::ostringstream& s, const LadderRow& row, const std::vector<int>& xs, int col, int y) {
    const int n = static_cast<int>(xs.size());
    const bool right = col < n - 1 || n == 1;
    const int room = right ? (col < n - 1 ? xs[static_cast<std::size_t>(col) + 1] : kWidth) - xs[static_cast<std::size_t>(col)] - 24
                           : xs[static_cast<std::size_t>(col)] - xs[static_cast<std::size_t>(col) - 1] - 24;
    const auto text = cut(row.label, room - 12);
    const int w = static_cast<int>(static_cast<double>(text.size()) * kCharWidth) + 14;
    const int x = right ? xs[static_cast<std::size_t>(col)] + 10 : xs[static_cast<std::size_t>(col)] - 10 - w;
    s << "<rect class=\"note\" x=\"" << x << "\" y=\"" << y - 16 << "\" width=\"" << w
      << "\" height=\"22\" rx=\"4\"/><text class=\"label\" x=\"" << x + 7 << "\" y=\"" << y - 1 << "\">"
      << html_escape(text) << "</text>";
}

}  // namespace

std::string ladder_svg(const ConnectionLadder& l) {
    const auto xs = column_x(std::max<std::size_t>(1, l.columns().size()));
    const int height = kTop + static_cast<int>(l.rows().size()) * kRow + 24;
    std::ostringstream s;
    s << "<svg class=\"ladder\" viewBox=\"0 0 " << kWidth << ' ' << height
      << "\" role=\"img\" aria-label=\"ladder diagram of connection "
      << l.conn() << "\">";
    s << "<defs><marker id=\"head-" << l.conn()
      << "\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0 0 L10 5 L0 10 z\" fill=\"context-stroke\"/></marker></defs>";
    for (std::size_t i = 0; i < xs.size() && i < l.columns().size(); ++i) {
        const auto name = l.columns()[i].to_string();
        const auto role = l.role(static_cast<int>(i));
        s << "<rect class=\"host\" x=\"" << xs[i] - 90 << "\" y=\"6\" width=\"180\" height=\"40\" rx=\"6\"/>"
          << "<text class=\"hostname\" x=\"" << xs[i] << "\" y=\"24\" text-anchor=\"middle\">" << html_escape(cut(name, 170))
          << "</text><text class=\"role\" x=\"" << xs[i] << "\" y=\"39\" text-anchor=\"middle\">" << html_escape(role)
          << "</text><line class=\"lifeline\" x1=\"" << xs[i] << "\" y1=\"46\" x2=\"" << xs[i] << "\" y2=\"" << height - 8
          << "\"/>";
    }
    int y = kTop;
    for (const auto& row : l.rows()) {
        y += kRow;
        const int n = static_cast<int>(xs.size());
        const int from = std::clamp(row.from, 0, n - 1);
        s << "<a href=\"#ev-" << row.seqs.front() << "\"><g class=\"row " << tone_class(row.tone) << "\">"
          << "<title>" << html_escape(row.label) << "</title>"
          << "<rect class=\"hit\" x=\"0\" y=\"" << y - kRow + 6 << "\" width=\"" << kWidth << "\" height=\"" << kRow
          << "\"/><text class=\"time\" x=\"" << kTimeX << "\" y=\"" << y << "\">"
          << format_rfc3339(row.ts).substr(11, 12) << "</text>";
        if (row.to && *row.to != row.from)
            draw_arrow(s, l.conn(), row, xs[static_cast<std::size_t>(from)], xs[static_cast<std::size_t>(std::clamp(*row.to, 0, n - 1))], y);
        else
            draw_note(s, row, xs, from, y);
        s << "</g></a>";
    }
    s << "</svg>";
    return s.str();
}

}  // namespace decoder
