// Every finding code the diagnosis rules can raise has a "what would fix it" line for the HTML
// report. The codes are read from the sources under decoder/ (each is a string literal right
// after its Severity), so a new rule without a fix line fails here.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "decoder/analysis/finding_fixes.hpp"

namespace {

std::set<std::string> codes_in_rules() {
    std::set<std::string> codes;
    // "Severity::Error, "code"" and "x ? Severity::Error : Severity::Warning, "code"", over line breaks.
    const std::regex raised(R"(Severity::\w+\s*(?::\s*Severity::\w+\s*)?,\s*"([a-z0-9-]+)\")");
    for (const auto& entry : std::filesystem::recursive_directory_iterator(SIPTAP_SOURCE_DIR "/decoder")) {
        if (entry.path().extension() != ".cpp") continue;
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        const auto source = text.str();
        for (std::sregex_iterator it(source.begin(), source.end(), raised), end; it != end; ++it)
            codes.insert((*it)[1].str());
    }
    return codes;
}

}  // namespace

TEST_CASE("[fixes] every finding code of the diagnosis rules has a fix line", "[fixes]") {
    const auto codes = codes_in_rules();
    // The scan found the rules (SPEC's codes and the call router's two), not an empty folder.
    REQUIRE(codes.size() >= 23);
    for (const char* known : {"wildcard-subject-cn", "ca-list-too-long", "um-redirect", "um-redirect-not-followed"})
        CHECK(codes.count(known) == 1);
    for (const auto& code : codes) {
        CAPTURE(code);
        const auto fix = decoder::finding_fix(code);
        CHECK(fix.size() > 40);  // a sentence, not a placeholder
        CHECK(fix.find("http") == std::string_view::npos);  // named, never linked: the report loads nothing
    }
    CHECK(decoder::finding_fix("no-such-code").empty());
}
