// The layering check the build runs (cmake/check_layers.cmake, cmake/layering.cmake): it fails
// on an include against the grain, naming the file, the include and the rule, and the real
// tree passes it with the rules the build wrote.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "cli/views_support.hpp"

using views_test::quote;
using views_test::run;

namespace {

const std::string kSource = SIPTAP_SOURCE_DIR;

views_test::Output check_layers(const std::string& root, const std::string& rules) {
    REQUIRE(std::filesystem::exists(SIPTAP_CMAKE));
    return run(quote(SIPTAP_CMAKE) + " -D ROOT=" + quote(root) + " -D RULES=" + quote(rules) + " -P " +
               quote(kSource + "/cmake/check_layers.cmake") + " 2>&1");
}

}  // namespace

TEST_CASE("[layering] an include against the grain fails the check with one line naming it", "[layering]") {
    const std::string fixture = kSource + "/tests/layering_fixture";
    const auto r = check_layers(fixture, fixture + "/layers.txt");
    INFO(r.out);
    CHECK(r.exit_code != 0);
    CHECK(r.out.find("decoder/model/event.hpp: #include \"decoder/sinks/sink.hpp\" goes against the layering: "
                     "decoder/model/ may include only decoder/base\n") != std::string::npos);
    // The allowed includes beside it (same folder, a lower layer, a folder under "decoder") pass.
    CHECK(r.out.find("layering check: 1 include(s) against the grain") != std::string::npos);
}

TEST_CASE("[layering] the source tree passes the rules the build wrote", "[layering]") {
    const std::string rules = std::string(SIPTAP_BUILD_DIR) + "/layers.txt";
    REQUIRE(std::filesystem::exists(rules));
    // Not vacuous: the rules name the decoder layers and what each may include.
    const auto text = views_test::slurp(rules);
    CHECK(text.find("decoder/sip: decoder/model decoder/base\n") != std::string::npos);
    CHECK(text.find("decoder/sinks: decoder/analysis ") != std::string::npos);
    const auto r = check_layers(kSource, rules);
    INFO(r.out);
    CHECK(r.exit_code == 0);
    CHECK(r.out.empty());
}
