// `--ladder-format mermaid|plantuml`: the escapers on awkward labels (each must leave no
// character the syntax reads and decode back to the text that went in), and whole diagrams
// built from events with such labels, read back with the grammar in ladder_markup_checks.hpp.
#include <catch2/catch.hpp>

#include <sstream>

#include "decoder/sinks/ladder_markup.hpp"
#include "ladder_markup_checks.hpp"
#include "ladder_markup_fixture.hpp"

using namespace decoder;
using markup_fixture::awkward_events;
using markup_fixture::expected_text;
using markup_fixture::kAwkward;
using markup_fixture::event;
using markup_fixture::render;


TEST_CASE("[ladder-markup] escapers leave nothing the syntax reads and decode back", "[ladder-markup]") {
    const auto label = GENERATE(from_range(kAwkward));
    CAPTURE(label);
    // With the entities we write taken out, no character the syntax reads is left.
    const auto mermaid = mermaid_text(label);
    CAPTURE(mermaid);
    const auto mermaid_bare = std::regex_replace(mermaid, std::regex(R"(#(\d+|lt|gt|amp|quot);)"), "");
    for (char c : std::string("#;%<>`&\"\r\n")) CHECK(mermaid_bare.find(c) == std::string::npos);
    CHECK(markup_check::mermaid_decode(mermaid) == expected_text(label));

    const auto puml = plantuml_text(label);
    CAPTURE(puml);
    const auto puml_bare = std::regex_replace(puml, std::regex(R"(&#\d+;|\\\\)"), "");
    for (char c : std::string("<>&\"'~*/_-=[]^|#`{}\\\r\n")) CHECK(puml_bare.find(c) == std::string::npos);
    CHECK(markup_check::plantuml_decode(puml) == expected_text(label));
}

TEST_CASE("[ladder-markup] ladder format names", "[ladder-markup]") {
    CHECK(ladder_format_from("mermaid") == LadderFormat::Mermaid);
    CHECK(ladder_format_from("plantuml") == LadderFormat::PlantUml);
    CHECK(ladder_format_from("text") == LadderFormat::Text);
    CHECK_FALSE(ladder_format_from("svg"));
    CHECK(std::string(to_string(LadderFormat::PlantUml)) == "plantuml");
}

TEST_CASE("[ladder-markup] a connection with awkward labels reads back intact", "[ladder-markup]") {
    const auto events = awkward_events();
    const auto format = GENERATE(LadderFormat::Mermaid, LadderFormat::PlantUml);
    const auto text = render(format, events);
    CAPTURE(text);
    const auto doc = format == LadderFormat::Mermaid ? markup_check::parse_mermaid(text) : markup_check::parse_plantuml(text);
    CHECK(doc.errors == std::vector<std::string>{});
    REQUIRE(doc.diagrams.size() == 1);
    const auto& d = doc.diagrams.front();
    const std::string sep = format == LadderFormat::Mermaid ? " " : "\n";
    CHECK(d.participants == std::vector<std::string>{"10.0.0.2:50341" + sep + "(client)", "[2001:db8::3]:5061" + sep + "(server)"});

    // One arrow per SIP message, in order, with the reason phrase intact; the RST is the last.
    REQUIRE(d.arrows.size() == 1 + 2 * kAwkward.size() + 1);
    for (std::size_t i = 0; i < kAwkward.size(); ++i) {
        const auto& req = d.arrows[1 + 2 * i];
        const auto& resp = d.arrows[2 + 2 * i];
        CAPTURE(i);
        CHECK(req.from == "P0");
        CHECK(req.label == "OPTIONS " + std::to_string(3 + 2 * i));
        CHECK(resp.from == "P1");
        CHECK(resp.to == "P0");
        CHECK(resp.label == "480 " + expected_text(kAwkward[i]) + " (" + std::to_string(3 + 2 * i) + " OPTIONS)");
    }
    CHECK(d.arrows.back().from == "P1");
    CHECK(d.arrows.back().kind.find('x') != std::string::npos);
    CHECK(d.arrows.back().label.rfind("RST", 0) == 0);

    // The certificate note, the teardown, and every finding (they came after the close) as notes.
    REQUIRE(d.notes.size() == 2 + kAwkward.size());
    CHECK(d.notes[0] == "client cert #0: CN=um01.contoso.com\"; #x <b>");
    CHECK(d.notes[1].rfind("teardown: closed by [2001:db8::3]:5061 (server) with RST", 0) == 0);
    for (std::size_t i = 0; i < kAwkward.size(); ++i) {
        std::string flat = d.notes[2 + i];
        for (auto& c : flat)
            if (c == '\n') c = ' ';  // notes wrap; the words stay
        std::string words;
        std::istringstream in("WARNING sip-error-response: reason " + expected_text(kAwkward[i]));
        for (std::string w; in >> w;) words += (words.empty() ? "" : " ") + w;
        CHECK(flat == words);
    }
}

TEST_CASE("[ladder-markup] every connection is its own balanced block, late findings join it", "[ladder-markup]") {
    auto first = awkward_events();
    auto second = awkward_events();
    for (auto& e : second) {
        e.conn = 8;
        e.seq += 100;
    }
    std::vector<Event> events = first;
    events.insert(events.end(), second.begin(), second.end());
    events.push_back(event(500, Finding{Severity::Info, "run-level", "about the whole run; #1", {}}, true));
    events.back().conn = 0;
    for (auto format : {LadderFormat::Mermaid, LadderFormat::PlantUml}) {
        const auto text = render(format, events);
        CAPTURE(text);
        const auto doc = format == LadderFormat::Mermaid ? markup_check::parse_mermaid(text) : markup_check::parse_plantuml(text);
        CHECK(doc.errors == std::vector<std::string>{});
        REQUIRE(doc.diagrams.size() == 2);
        for (const auto& d : doc.diagrams) CHECK(d.notes.size() == 2 + kAwkward.size());
        CHECK(text.find("run-level") > text.rfind(format == LadderFormat::Mermaid ? "```mermaid" : "@startuml"));
    }
}
