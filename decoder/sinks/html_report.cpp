#include "decoder/sinks/html_report.hpp"

#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <unistd.h>

#include "decoder/analysis/certificate_verdicts.hpp"
#include "decoder/analysis/finding_fixes.hpp"
#include "decoder/base/private_file.hpp"
#include "decoder/sinks/text_sink.hpp"

namespace decoder {

namespace {

constexpr const char* kStyle = R"css(
:root{--bg:#f6f7f9;--card:#fff;--ink:#1d2330;--mute:#6b7280;--line:#d8dce3;--red:#c62828;--redbg:#fdecea;
--amber:#9a6700;--amberbg:#fff4d6;--blue:#1f5fbf;--green:#2e7d32;--purple:#7b3fa0}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:var(--bg);color:var(--ink)}main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px}h3{font-size:15px;margin:18px 0 8px}
.sub{color:var(--mute);margin:0}code,pre,.mono{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,monospace;font-size:12.5px}
.finding{background:var(--card);border:1px solid var(--line);border-left:6px solid var(--mute);border-radius:6px;
padding:10px 14px;margin:10px 0}.finding.error{border-left-color:var(--red)}.finding.warning{border-left-color:#e0a100}
.finding p{margin:6px 0}.sev{display:inline-block;font-weight:700;font-size:11px;letter-spacing:.04em;padding:2px 7px;
border-radius:10px;margin-right:6px}.error .sev{background:var(--redbg);color:var(--red)}.warning .sev{background:var(--amberbg);
color:var(--amber)}.info .sev{background:#e8eefb;color:var(--blue)}.evidence a{margin-right:10px}.ok-banner{background:#e7f5e9;
border:1px solid #b9dfbf;padding:10px 14px;border-radius:6px}
section.conn{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:4px 18px 18px;margin:22px 0}
.teardown{font-weight:600}.teardown.bad{color:var(--red)}.svgwrap{overflow-x:auto;border:1px solid var(--line);border-radius:6px;background:#fcfcfd}
svg.ladder{display:block;width:100%;height:auto;min-width:720px;font:12px ui-monospace,"DejaVu Sans Mono",monospace}
.host{fill:#eef2f8;stroke:#9aa7bd}.hostname{font-weight:700;fill:var(--ink)}.role{fill:var(--mute)}
.lifeline{stroke:#9aa7bd;stroke-dasharray:4 4}.time{fill:var(--mute)}.hit{fill:transparent}.row:hover .hit{fill:#eef4ff}
.arrow{stroke:#555;stroke-width:1.5}.label{fill:var(--ink)}.note{fill:#fffbe6;stroke:#e3cf7a}
.tls .arrow{stroke:var(--purple)}.tls .label{fill:var(--purple)}.req .arrow{stroke:var(--blue)}.req .label{fill:var(--blue);font-weight:700}
.ok .arrow{stroke:var(--green)}.ok .label{fill:var(--green);font-weight:700}.fail .arrow,.problem .arrow{stroke:var(--red)}
.fail .label,.problem .label{fill:var(--red);font-weight:700}.problem .note{fill:var(--redbg);stroke:var(--red)}
.muted .arrow{stroke:#8a8f98}.muted .label{fill:#5b616b}.arrow.teardown{stroke-width:3}.cross{stroke:var(--red);stroke-width:3}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 12px;background:#fff}.card.bad{border-color:var(--red);
box-shadow:0 0 0 2px var(--redbg)}.card h4{margin:0 0 6px;font-size:14px}.card dl{display:grid;grid-template-columns:82px 1fr;
gap:2px 8px;margin:0}.card dt{color:var(--mute)}.card dd{margin:0;word-break:break-all}.hl{color:var(--red);font-weight:700}
.badge{display:inline-block;font-size:11px;padding:1px 6px;border-radius:8px;background:var(--redbg);color:var(--red);margin:4px 4px 0 0}
.badge.mute{background:#eceff3;color:var(--mute)}table.events{width:100%;border-collapse:collapse}
.events td{border-top:1px solid var(--line);padding:4px 6px;vertical-align:top}.events td.t{white-space:nowrap;color:var(--mute)}
.events td.d{white-space:nowrap}details summary{cursor:pointer}pre{background:#f3f4f6;padding:8px;border-radius:4px;
white-space:pre-wrap;word-break:break-all;margin:6px 0}:target{outline:3px solid #ffbf47;outline-offset:2px}
.verdicts{margin-top:8px}.verdicts .vref{margin:0 0 4px;color:var(--mute)}.verdicts .pair{display:grid;
grid-template-columns:1fr 1fr;gap:6px}.verdict{border-radius:5px;padding:5px 8px;border:1px solid var(--line)}
.verdict p{margin:2px 0 0;font-size:12.5px}.verdict .who{font-weight:600;display:block}.verdict .word{font-weight:700;
font-size:11px;letter-spacing:.04em;text-transform:uppercase}.verdict.refused{background:var(--redbg);border-color:#f2b8b5}
.verdict.refused .word{color:var(--red)}.verdict.accepted{background:#e7f5e9;border-color:#b9dfbf}
.verdict.accepted .word{color:var(--green)}@media (min-width:760px){.card:has(.verdicts){grid-column:span 2}}
.fix{background:#f0f6ff;border-radius:4px;padding:4px 8px}.redirect{border:1px dashed var(--blue);border-radius:6px;
padding:6px 12px;margin:10px 0;background:#f7faff}.redirect.bad{border-color:var(--red);background:var(--redbg)}
.tools button{font:inherit;margin-right:6px;padding:3px 10px;border:1px solid var(--line);border-radius:4px;background:#fff;cursor:pointer}
)css";

constexpr const char* kScript = R"js(
function setAll(open){document.querySelectorAll('details.sip').forEach(function(d){d.open=open;});}
function reveal(){var t=location.hash&&document.getElementById(location.hash.slice(1));
if(t&&t.tagName==='DETAILS'){t.open=true;}}
window.addEventListener('hashchange',reveal);reveal();
)js";

std::string date(Micros t) { return format_rfc3339(t).substr(0, 10); }
std::string time_of(Micros t) { return format_rfc3339(t).substr(11, 15); }

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}

// Short words for a link to an event.
std::string evidence_label(const Event& e) {
    if (const auto* c = e.as<Certificate>())
        return std::string(to_string(c->side)) + " certificate #" + std::to_string(c->index) + " (CN=" + c->subject_cn + ")";
    if (const auto* m = e.as<SipMessage>()) return sip_arrow_label(*m);
    if (const auto* m = e.as<TlsMessage>()) return "TLS " + tls_step_name(*m);
    if (e.as<ConnClose>()) return "teardown of #" + std::to_string(e.conn);
    if (const auto* a = e.as<TlsAlert>()) return "alert " + a->description;
    return std::string(event_name(e)) + " #" + std::to_string(e.seq);
}

struct Index {
    std::map<std::uint64_t, const Event*> by_seq;
    std::map<std::uint64_t, CertificateVerdicts> verdicts;  // leaf certificate seq -> its verdicts
    std::map<std::uint64_t, std::vector<std::string>> cited_by;  // evidence seq -> finding codes
    std::vector<const Event*> findings;
    std::map<std::uint64_t, std::vector<const Event*>> redirects;  // redirected connection -> um-redirect*
    std::map<std::uint64_t, std::uint64_t> redirected_from;        // connection that followed -> redirected one
};

Index index(const std::vector<Event>& events, const std::string& expect_peer) {
    Index ix;
    VerdictNames names(expect_peer);
    for (const auto& e : events) {
        ix.by_seq[e.seq] = &e;
        names.on_event(e);
        if (auto v = names.verdicts(e)) ix.verdicts.emplace(e.seq, std::move(*v));
        if (const auto* f = e.as<Finding>()) {
            ix.findings.push_back(&e);
            // An info finding (a redirect followed) cites a certificate without blaming it.
            if (f->severity != Severity::Info)
                for (auto s : f->evidence) ix.cited_by[s].push_back(f->code);
            if (f->redirect) ix.redirects[e.conn].push_back(&e);
            if (f->redirect && f->redirect->conn) ix.redirected_from[*f->redirect->conn] = e.conn;
        }
    }
    return ix;
}

void write_findings(std::ostream& o, const Index& ix) {
    o << "<section id=\"findings\"><h2>Findings</h2>";
    if (ix.findings.empty()) o << "<p class=\"ok-banner\">No findings: nothing looked wrong.</p>";
    for (const auto* e : ix.findings) {
        const auto& f = std::get<Finding>(e->payload);
        const char* sev = to_string(f.severity);
        o << "<div class=\"finding " << sev << "\" id=\"finding-" << e->seq << "\"><span class=\"sev\">" << sev
          << "</span><code>" << html_escape(f.code) << "</code> <span class=\"sub\">connection #" << e->conn
          << "</span><p>" << html_escape(f.message) << "</p><p class=\"evidence\">Evidence: ";
        for (auto seq : f.evidence) {
            const auto it = ix.by_seq.find(seq);
            if (it == ix.by_seq.end()) o << "<span class=\"sub\">event " << seq << " (not in this report)</span> ";
            else o << "<a href=\"#ev-" << seq << "\">" << html_escape(evidence_label(*it->second)) << "</a>";
        }
        if (f.evidence.empty()) o << "<span class=\"sub\">none named</span>";
        o << "</p>";
        if (const auto fix = finding_fix(f.code); !fix.empty())
            o << "<p class=\"fix\"><b>What would fix it:</b> " << html_escape(fix) << "</p>";
        o << "</div>";
    }
    o << "</section>";
}

void write_verdict(std::ostream& o, const char* who, const NameVerdict& v) {
    const char* word = v.accepted ? "accepted" : "refused";
    o << "<div class=\"verdict " << word << "\"><span class=\"who\">" << who << "</span><span class=\"word\">" << word
      << "</span><p>" << html_escape(v.reason) << "</p></div>";
}

// Lync's verdict beside RFC 6125's, and the name both were checked against.
void write_verdicts(std::ostream& o, const CertificateVerdicts& v) {
    o << "<div class=\"verdicts\"><p class=\"vref\">Name checks " << html_escape(reference_phrase(v.reference))
      << "</p><div class=\"pair\">";
    write_verdict(o, "Lync / Skype for Business", v.lync);
    write_verdict(o, "RFC 6125 (browsers, TLS clients)", v.rfc6125);
    o << "</div></div>";
}

// `copy`: the card shown a second time (beside a redirect), without the event's id.
void write_card(std::ostream& o, const Event& e, const Certificate& c, const Index& ix, bool copy = false) {
    const bool expired = c.not_after < e.ts, early = c.not_before > e.ts;
    const auto cited = ix.cited_by.find(e.seq);
    const bool bad = c.wildcard_cn || expired || early || (cited != ix.cited_by.end() && c.index == 0);
    o << "<div class=\"card" << (bad ? " bad" : "") << "\"" << (copy ? "" : " id=\"ev-" + std::to_string(e.seq) + "\"")
      << "><h4>" << to_string(c.side)
      << " certificate #" << c.index << (c.index == 0 ? " (leaf)" : "") << "</h4><dl>"
      << "<dt>Subject CN</dt><dd" << (c.wildcard_cn ? " class=\"hl\"" : "") << ">" << html_escape(c.subject_cn) << "</dd>"
      << "<dt>Subject</dt><dd>" << html_escape(c.subject) << "</dd>";
    auto san = c.san;
    san.insert(san.end(), c.san_ip.begin(), c.san_ip.end());
    o << "<dt>SAN</dt><dd>" << (san.empty() ? "(none)" : html_escape(join(san))) << "</dd>"
      << "<dt>Issuer</dt><dd>" << html_escape(c.issuer) << "</dd><dt>Valid</dt><dd" << (expired || early ? " class=\"hl\"" : "")
      << ">" << date(c.not_before) << " to " << date(c.not_after) << (expired ? " (expired)" : early ? " (not yet valid)" : "")
      << "</dd><dt>Key</dt><dd>" << html_escape(c.key) << "</dd><dt>SHA-256</dt><dd class=\"mono\">" << html_escape(c.sha256)
      << "</dd></dl>";
    if (const auto v = ix.verdicts.find(e.seq); v != ix.verdicts.end()) write_verdicts(o, v->second);
    if (c.wildcard_cn) o << "<span class=\"badge\">wildcard subject CN: Lync rejects it for server-to-server TLS</span>";
    if (c.self_signed) o << "<span class=\"badge mute\">self-signed</span>";
    if (cited != ix.cited_by.end())
        for (const auto& code : cited->second) o << "<span class=\"badge\">" << html_escape(code) << "</span>";
    o << "</div>";
}

// The redirect this connection received and the connection that followed it, with that
// connection's server certificate beside; or, on the connection that followed, where from.
void write_redirects(std::ostream& o, std::uint64_t conn, const Index& ix) {
    if (const auto from = ix.redirected_from.find(conn); from != ix.redirected_from.end())
        o << "<p class=\"redirect\">Redirected here by the UM call router on <a href=\"#conn-" << from->second
          << "\">connection #" << from->second << "</a>.</p>";
    const auto it = ix.redirects.find(conn);
    if (it == ix.redirects.end()) return;
    for (const auto* e : it->second) {
        const auto& f = std::get<Finding>(e->payload);
        const auto& r = *f.redirect;
        o << "<div class=\"redirect" << (r.conn ? "" : " bad") << "\"><p><b>Redirect</b> to the UM worker <code>"
          << html_escape(r.to) << "</code>" << (r.transport.empty() ? "" : " (" + html_escape(r.transport) + ")");
        if (!r.conn) {
            o << ": <span class=\"hl\">no connection to it followed in this capture</span>.</p></div>";
            continue;
        }
        o << " &rarr; <a href=\"#conn-" << *r.conn << "\">connection #" << *r.conn << "</a> (linked by "
          << html_escape(r.linked_by) << "): " << html_escape(r.outcome) << "</p>";
        for (auto seq : f.evidence)
            if (const auto ev = ix.by_seq.find(seq); ev != ix.by_seq.end() && ev->second->conn == *r.conn)
                if (const auto* c = ev->second->as<Certificate>()) {
                    o << "<div class=\"cards\">";
                    write_card(o, *ev->second, *c, ix, true);
                    o << "</div>";
                }
        o << "</div>";
    }
}

void write_event_row(std::ostream& o, const Event& e) {
    o << "<tr" << (e.as<Certificate>() ? "" : " id=\"ev-" + std::to_string(e.seq) + "\"") << "><td class=\"t\">"
      << time_of(e.ts) << "</td><td class=\"d mono\">" << html_escape(e.src.to_string()) << " &rarr; "
      << html_escape(e.dst.to_string()) << "</td><td>";
    if (const auto* m = e.as<SipMessage>()) {
        o << "<details class=\"sip\"><summary>" << html_escape(describe(e)) << "</summary><pre>" << html_escape(m->raw)
          << "</pre></details>";
    } else if (e.as<Certificate>()) {
        o << "<a href=\"#ev-" << e.seq << "\">" << html_escape(describe(e)) << "</a>";
    } else {
        o << html_escape(describe(e));
    }
    o << "</td></tr>";
}

void write_connection(std::ostream& o, std::uint64_t conn, const std::vector<const Event*>& events, const Index& ix) {
    ConnectionLadder ladder(conn);
    for (const auto* e : events) ladder.add(*e);
    o << "<section class=\"conn\" id=\"conn-" << conn << "\"><h2>Connection #" << conn << " &middot; "
      << to_string(ladder.transport());
    for (std::size_t i = 0; i < ladder.columns().size(); ++i)
        o << (i ? " &harr; " : " ") << html_escape(ladder.columns()[i].to_string());
    o << "</h2>";
    if (ladder.close())
        o << "<p class=\"teardown" << (unanswered_close(*ladder.close()) ? " bad" : "") << "\">Teardown: "
          << html_escape(teardown_sentence(*ladder.close())) << "</p>";
    write_redirects(o, conn, ix);
    o << "<div class=\"svgwrap\">" << ladder_svg(ladder) << "</div>";
    if (ladder.dropped_rows()) o << "<p class=\"sub\">" << ladder.dropped_rows() << " more rows not drawn.</p>";
    bool any_cert = false;
    for (const auto* e : events)
        if (const auto* c = e->as<Certificate>()) {
            if (!any_cert) o << "<h3>Certificates</h3><div class=\"cards\">";
            any_cert = true;
            write_card(o, *e, *c, ix);
        }
    if (any_cert) o << "</div>";
    o << "<h3>Events</h3><table class=\"events\">";
    for (const auto* e : events)
        if (!e->as<Finding>()) write_event_row(o, *e);
    o << "</table></section>";
}

}  // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char ch : text) {
        switch (ch) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += ch;
        }
    }
    return out;
}

void write_html_report(std::ostream& o, const std::vector<Event>& events, const std::string& title,
                       const std::string& expect_peer) {
    const auto ix = index(events, expect_peer);
    std::map<std::uint64_t, std::vector<const Event*>> conns;
    for (const auto& e : events)
        if (e.conn) conns[e.conn].push_back(&e);
    o << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
         "content=\"width=device-width,initial-scale=1\"><title>"
      << html_escape(title) << "</title><style>" << kStyle << "</style></head><body><main><h1>" << html_escape(title)
      << "</h1><p class=\"sub\">" << conns.size() << " connection" << (conns.size() == 1 ? "" : "s") << ", "
      << events.size() << " events";
    if (!events.empty()) o << ", " << format_rfc3339(events.front().ts) << " to " << format_rfc3339(events.back().ts);
    o << "</p>";
    write_findings(o, ix);
    o << "<p class=\"tools\"><button type=\"button\" onclick=\"setAll(true)\">Expand all SIP messages</button>"
         "<button type=\"button\" onclick=\"setAll(false)\">Collapse all</button></p>";
    for (const auto& [conn, list] : conns) write_connection(o, conn, list, ix);
    std::vector<const Event*> loose;  // events about the run, not a connection (e.g. bad packets)
    for (const auto& e : events)
        if (!e.conn && !e.as<Finding>()) loose.push_back(&e);
    if (!loose.empty()) {
        o << "<section class=\"conn\" id=\"conn-0\"><h2>Not tied to a connection</h2><table class=\"events\">";
        for (const auto* e : loose) write_event_row(o, *e);
        o << "</table></section>";
    }
    o << "<p class=\"sub\">Written by siptap.</p></main><script>" << kScript << "</script></body></html>\n";
}

void HtmlReportSink::on_event(const Event& e) {
    const auto* sip = e.as<SipMessage>();
    const std::size_t size = sizeof(Event) + (sip ? sip->raw.size() : 0);
    if (events_.size() >= kMaxEvents || bytes_ + size > kMaxBytes) {
        ++dropped_;
        return;
    }
    bytes_ += size;
    events_.push_back(e);
    if (auto* c = std::get_if<Certificate>(&events_.back().payload)) c->der.clear();  // not shown
}

HtmlReportSink::HtmlReportSink(std::string path, std::string expect_peer)
    : path_(std::move(path)), expect_peer_(std::move(expect_peer)) {
    fd_ = open_private_file(path_, PrivateFileMode::Truncate);
    if (fd_ < 0) error_ = path_ + ": cannot write the HTML report: " + std::strerror(errno);
}

HtmlReportSink::~HtmlReportSink() {
    if (fd_ >= 0) ::close(fd_);
}

void HtmlReportSink::on_end() {
    if (fd_ < 0) return;
    std::ostringstream out;
    std::string title = "siptap report";
    if (dropped_) title += " (first " + std::to_string(kMaxEvents) + " events; " + std::to_string(dropped_) + " more not kept)";
    write_html_report(out, events_, title, expect_peer_);
    const std::string html = out.str();
    for (std::size_t done = 0; done < html.size();) {
        const auto n = ::write(fd_, html.data() + done, html.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error_ = path_ + ": writing the HTML report failed: " + std::strerror(errno);
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd_);
    fd_ = -1;
}

}  // namespace decoder
