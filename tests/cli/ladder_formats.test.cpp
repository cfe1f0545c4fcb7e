// `siptap read --ladder-format mermaid|plantuml|text [--ladder-out FILE]` on the bundled
// captures: every block balanced, both participants declared, every SIP message of the
// capture one arrow in capture order (compared with the same run's JSON events); and, when
// Debian's plantuml is installed, that PlantUML renders our output without an error and shows
// awkward wire text verbatim.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "decoder/sinks/ladder_model.hpp"
#include "ladder_markup_checks.hpp"
#include "ladder_markup_fixture.hpp"
#include "requirement_support.hpp"
#include "views_support.hpp"
#include "kept_text.hpp"

namespace {

using views_test::quote;

struct Capture {
    std::string args;      // files and options, shell-quoted
    std::size_t connections;
};

const Capture kIncident{quote(SIPTAP_PCAP_DIR "/tls-wildcard-incident.pcapng") + " --keylog " +
                            quote(SIPTAP_PCAP_DIR "/tls-wildcard-incident.keys"),
                        1};
const Capture kPlain{quote(SIPTAP_PCAP_DIR "/sip-udp-call.pcap") + " " +
                         quote(SIPTAP_PCAP_DIR "/sip-options-504-ms-diagnostics.pcap"),
                     2};

std::string siptap(const std::string& args, int* exit_code = nullptr) {
    const auto run = views_test::run("COLUMNS=100 " + quote(SIPTAP_BINARY) + " read " + args + " 2>/dev/null");
    if (exit_code) *exit_code = run.exit_code;
    return run.out;
}

// Per connection, the arrow label of each SIP message as the ladder model writes it, from
// the JSON events of the same capture.
std::map<std::uint64_t, std::vector<std::string>> sip_labels(const Capture& c) {
    std::map<std::uint64_t, std::vector<std::string>> out;
    std::istringstream lines(siptap("--json " + c.args));
    for (std::string line; std::getline(lines, line);) {
        const auto j = nlohmann::json::parse(line);
        if (j["event"] != "sip") continue;
        decoder::SipMessage m;
        m.is_request = j["kind"] == "request";
        m.method = test::kept(j["method"].get<std::string>());
        m.status = j.value("status", 0);
        m.reason = test::kept(j.value("reason", ""));
        m.cseq_number = static_cast<std::uint32_t>(std::stoul(j["cseq"].get<std::string>()));
        if (j.contains("ms_diagnostics")) m.ms_diagnostics = decoder::MsDiagnostics{j["ms_diagnostics"]["code"], {}, {}};
        out[j["conn"]].push_back(decoder::sip_arrow_label(m));
    }
    return out;
}

markup_check::Document parse(const std::string& format, const std::string& text) {
    return format == "mermaid" ? markup_check::parse_mermaid(text) : markup_check::parse_plantuml(text);
}

void check_structure(const std::string& format, const Capture& c) {
    int rc = -1;
    const auto text = siptap("--ladder-format " + format + " " + c.args, &rc);
    CAPTURE(format, c.args, text);
    CHECK((rc == 0 || rc == 1));
    const auto doc = parse(format, text);
    CHECK(doc.errors == std::vector<std::string>{});
    REQUIRE(doc.diagrams.size() == c.connections);
    const auto expected = sip_labels(c);
    REQUIRE(expected.size() == c.connections);
    std::size_t i = 0;
    for (const auto& [conn, labels] : expected) {
        const auto& d = doc.diagrams[i++];
        CAPTURE(conn);
        REQUIRE(d.participants.size() == 2);
        CHECK(d.participants[0].find("(client)") != std::string::npos);
        CHECK(d.participants[1].find("(server)") != std::string::npos);
        // The SIP arrows are the ones whose label is a SIP label: exactly the messages, in order.
        std::vector<std::string> drawn;
        for (const auto& a : d.arrows)
            if (std::find(labels.begin(), labels.end(), a.label) != labels.end()) drawn.push_back(a.label);
        CHECK(drawn == labels);
        CHECK_FALSE(d.notes.empty());  // teardown and findings
    }
}

}  // namespace

TEST_CASE("[ladder-format] Mermaid and PlantUML of the bundled captures", "[ladder-format]") {
    const std::string format = GENERATE("mermaid", "plantuml");
    SECTION("the wildcard incident, decrypted with its key log") { check_structure(format, kIncident); }
    SECTION("plaintext SIP over UDP and TCP") { check_structure(format, kPlain); }
}

TEST_CASE("[ladder-format] the incident's diagram tells the story", "[ladder-format]") {
    const auto doc = markup_check::parse_mermaid(siptap("--ladder-format mermaid " + kIncident.args));
    REQUIRE(doc.diagrams.size() == 1);
    const auto& d = doc.diagrams[0];
    REQUIRE_FALSE(d.arrows.empty());
    CHECK(d.arrows.back().from == "P1");  // the server hung up ...
    CHECK(d.arrows.back().kind == "-x");
    CHECK(d.arrows.back().label == "FIN after OPTIONS 1, no answer");  // ... on the unanswered OPTIONS
    const auto has_note = [&](const std::string& start) {
        return std::any_of(d.notes.begin(), d.notes.end(), [&](const auto& n) { return n.rfind(start, 0) == 0; });
    };
    CHECK(has_note("client cert #0: CN=*.contoso.com"));
    CHECK(has_note("teardown: closed by 127.0.0.3:5061 (server) with FIN"));
    CHECK(has_note("ERROR wildcard-subject-cn:"));
    CHECK(has_note("ERROR closed-after-request:"));  // comes after the close, still in the block
}

TEST_CASE("[ladder-format] text is the terminal ladder, --ladder-out keeps stdout for events", "[ladder-format]") {
    const auto plain = siptap("--ladder --no-color " + kIncident.args);
    CHECK(plain.find("TCP connect") != std::string::npos);
    CHECK(siptap("--ladder-format text " + kIncident.args) == plain);  // not a terminal: no colour either

    const auto dir = views_test::artifact_dir();
    const auto file = dir + "/incident-ladder.md";
    std::filesystem::remove(file);
    int rc = -1;
    const auto out = siptap("--ladder-format mermaid --ladder-out " + quote(file) + " " + kIncident.args, &rc);
    CHECK(rc == 1);
    CHECK(out.find("OPTIONS sip:lync01.contoso.com") != std::string::npos);  // the event lines
    CHECK(out.find("```mermaid") == std::string::npos);
    const auto md = views_test::slurp(file);
    CHECK(markup_check::parse_mermaid(md).errors == std::vector<std::string>{});
    CHECK(markup_check::parse_mermaid(md).diagrams.size() == 1);

    const auto json = siptap("--json --ladder-out " + quote(dir + "/incident-ladder.txt") + " " + kIncident.args);
    CHECK(json.rfind("{", 0) == 0);
    const auto txt = views_test::slurp(dir + "/incident-ladder.txt");
    CHECK(txt.find("FIN after OPTIONS 1, no answer") != std::string::npos);
    CHECK(txt.find('\033') == std::string::npos);
}

TEST_CASE("[ladder-format] bad format or unwritable file: one line, exit 2", "[ladder-format]") {
    const auto bad = views_test::run(quote(SIPTAP_BINARY) + " read --ladder-format svg " + kIncident.args + " 2>&1");
    CHECK(bad.exit_code == 2);
    CHECK(bad.out.find("--ladder-format") != std::string::npos);
    const auto nowhere = views_test::run(quote(SIPTAP_BINARY) + " read --ladder-out /nonexistent-dir/x.md " +
                                         kIncident.args + " 2>&1 >/dev/null");
    CHECK(nowhere.exit_code == 2);
    CHECK(nowhere.out == "siptap: --ladder-out /nonexistent-dir/x.md: cannot write the file\n");
}

TEST_CASE("[ladder-format] PlantUML renders our output and shows wire text verbatim", "[ladder-format]") {
    test::require_available("plantuml", std::filesystem::exists("/usr/bin/plantuml"),
                            "apt-get install -y --no-install-recommends plantuml (tools/bootstrap.sh does)");
    const auto dir = views_test::artifact_dir() + "/plantuml";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const auto source = dir + "/ladders.puml";
    {
        std::ofstream out(source, std::ios::binary);
        out << markup_fixture::render(decoder::LadderFormat::PlantUml, markup_fixture::awkward_events())
            << siptap("--ladder-format plantuml " + kIncident.args) << siptap("--ladder-format plantuml " + kPlain.args);
    }
    // Java takes its default charset from the locale, and a fresh Debian has none set (POSIX:
    // ASCII, every other character a "?"). Name UTF-8 for the source and for the JVM.
    const auto run = views_test::run("LC_ALL=C.UTF-8 plantuml -charset UTF-8 -tsvg -o " + quote(dir) + " " + quote(source) + " 2>&1", 180);
    CAPTURE(run.out);
    REQUIRE(run.exit_code == 0);
    // PlantUML 1.2020 exits 0 even when a diagram fails: it draws the error into the image.
    std::vector<std::string> svgs;
    for (const auto& f : std::filesystem::directory_iterator(dir))
        if (f.path().extension() == ".svg") svgs.push_back(views_test::slurp(f.path().string()));
    CHECK(svgs.size() == 1 + kIncident.connections + kPlain.connections);
    for (const auto& svg : svgs) {
        CHECK(svg.find("An error has occured") == std::string::npos);
        CHECK(svg.find("Syntax Error") == std::string::npos);
    }
    // Each awkward reason phrase is drawn as it came in (the text of one <text> element).
    std::set<std::string> texts;
    const auto first = views_test::slurp(dir + "/ladders.svg");  // the awkward block: first in the file
    const std::regex text_element("<text[^>]*>([^<]*)</text>");
    for (std::sregex_iterator it(first.begin(), first.end(), text_element), end; it != end; ++it) {
        std::string t = (*it)[1].str();
        for (const auto& [from, to] : {std::pair<std::string, std::string>{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&amp;", "&"}})
            for (auto at = t.find(from); at != std::string::npos; at = t.find(from, at + 1)) t.replace(at, from.size(), to);
        texts.insert(t);
    }
    for (std::size_t i = 0; i < markup_fixture::kAwkward.size(); ++i) {
        const auto label = "480 " + markup_fixture::expected_text(markup_fixture::kAwkward[i]) + " (" + std::to_string(3 + 2 * i) + " OPTIONS)";
        CAPTURE(label);
        CHECK(texts.count(label) == 1);
    }
}
