// The ctest entries are the Catch test cases, one for one, and carry the labels README's
// "one area at a time" promises (tests/cmake/catch_tag_labels.cmake).
#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "capture_run_support.hpp"
#include "views_support.hpp"

namespace {

using views_test::quote;
using views_test::run;

const std::string kBuild = SIPTAP_BUILD_DIR;

// Catch's own list of the test cases of one folder's binary matching `spec` ("" for all).
std::vector<std::string> catch_names(const std::string& folder, const std::string& spec = "") {
    const auto r = run(quote(kBuild + "/tests/" + folder + "_tests") + " " + (spec.empty() ? "" : quote(spec)) +
                       " --list-test-names-only");
    REQUIRE(r.exit_code >= 0);
    return test::non_empty_lines(r.out);
}

// ctest's entries, optionally of a label regex, without their "folder:" prefix. ctest -N
// prints each as "  Test #123: decoder:[tag] name".
std::vector<std::string> ctest_names(const std::string& label = "") {
    const auto r = run("ctest --test-dir " + quote(kBuild) + " -N" + (label.empty() ? "" : " -L " + quote(label)));
    REQUIRE(r.exit_code == 0);
    std::vector<std::string> out;
    const std::regex entry(R"(^\s*Test\s+#\d+: [a-z]+:(.*)$)");  // numbers are padded: "Test  #45:"
    for (const auto& line : test::non_empty_lines(r.out))
        if (std::smatch m; std::regex_match(line, m, entry)) out.push_back(m[1]);
    return out;
}

}  // namespace

TEST_CASE("[labels] every Catch test case is one ctest entry, none split or lost", "[labels]") {
    std::size_t cases = 0;
    for (const char* folder : {"decoder", "capture", "proxy", "cli"}) cases += catch_names(folder).size();
    CHECK(ctest_names().size() == cases);
}

TEST_CASE("[labels] ctest -L picks a tag's tests and a folder's tests", "[labels]") {
    auto sorted = [](std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        return v;
    };
    CHECK(sorted(ctest_names("^busy-poll$")) == sorted(catch_names("proxy", "[busy-poll]")));
    CHECK(sorted(ctest_names("^slow$")).size() ==
          catch_names("decoder", "[slow]").size() + catch_names("capture", "[slow]").size() +
              catch_names("proxy", "[slow]").size() + catch_names("cli", "[slow]").size());
    CHECK(ctest_names("^capture$").size() >= catch_names("capture").size());
    CHECK_FALSE(ctest_names("^slow$").empty());
}
