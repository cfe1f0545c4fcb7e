// What a packager gets: `cmake --install` lays out the binary, siptap.1 and the bash completion;
// the man page renders cleanly and names every option --help names; the completion offers
// every option; `cpack -G DEB` makes a package whose dependencies are Debian's runtime
// libraries and whose siptap runs the demo.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <set>

#include "cli/capture_run_support.hpp"
#include "cli/views_support.hpp"
#include "requirement_support.hpp"

namespace fs = std::filesystem;
using views_test::quote;
using views_test::run;

namespace {

const std::vector<std::string> kSubcommands = {"read", "proxy", "live", "demo"};

// Long options as --help prints them, read independently of the generator under test.
std::set<std::string> options_in_help(const std::string& subcommand) {
    const auto help = run(quote(SIPTAP_BINARY) + " " + subcommand + " --help");
    REQUIRE(help.exit_code == 0);
    std::set<std::string> names;
    static const std::regex option_line(R"(^\s+(?:-\w,)?(--[\w-]+))");
    std::istringstream lines(help.out);
    for (std::string line; std::getline(lines, line);)
        if (std::smatch m; std::regex_search(line, m, option_line)) names.insert(m[1]);
    return names;
}

std::string fresh_dir(const std::string& name) {
    const fs::path dir = fs::path(views_test::artifact_dir()) / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir.string();
}

// One prefix per test case: ctest runs them side by side, and one installing over a binary
// the other is running fails with "Text file busy".
std::string installed_tree(const std::string& test) {
    const auto prefix = fresh_dir("install-prefix-" + test);
    const auto installed = run("cmake --install " + quote(SIPTAP_BUILD_DIR) + " --prefix " + quote(prefix) + " >/dev/null");
    REQUIRE(installed.exit_code == 0);
    return prefix;
}

}  // namespace

TEST_CASE("cmake --install lays out the binary, the man page and the bash completion", "[install]") {
    const auto prefix = installed_tree("layout");
    CHECK(fs::is_regular_file(prefix + "/bin/siptap"));
    CHECK(fs::is_regular_file(prefix + "/share/man/man1/siptap.1"));
    CHECK(fs::is_regular_file(prefix + "/share/bash-completion/completions/siptap"));
    CHECK(run(quote(prefix + "/bin/siptap") + " --version").out.find("siptap") != std::string::npos);
}

TEST_CASE("the man page renders without warnings and names every option of every subcommand", "[install]") {
    test::require_available("groff", test::on_path("groff"), "apt-get install groff-base");
    const auto page = installed_tree("man") + "/share/man/man1/siptap.1";
    // -ww: every warning; -z: no output, only the diagnostics on stderr.
    const auto warnings = run("LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z " + quote(page) + " 2>&1");
    CHECK(warnings.exit_code == 0);
    CHECK(warnings.out.empty());
    const auto text = run("LC_ALL=C.UTF-8 groff -man -Tascii -P-cbou " + quote(page) + " 2>/dev/null").out;
    REQUIRE(!text.empty());
    for (const auto& sub : kSubcommands) {
        INFO("siptap " << sub);
        CHECK(text.find("siptap " + sub) != std::string::npos);
        const auto names = options_in_help(sub);
        CHECK(names.size() > 1);
        for (const auto& name : names) {
            INFO(name);
            // groff breaks long lines but never inside an option name followed by a space or a newline.
            CHECK(std::regex_search(text, std::regex("(^|\\s)" + name + "([\\s,]|$)")));
        }
    }
}

TEST_CASE("the bash completion offers the subcommands, every option and the fixed choices", "[install]") {
    test::require_available("bash", test::on_path("bash"), "apt-get install bash");
    const auto script = installed_tree("completion") + "/share/bash-completion/completions/siptap";
    auto complete = [&](const std::string& words, int cword) {
        const auto r = run("bash -c " + quote("source " + quote(script) + "; COMP_WORDS=(" + words + "); COMP_CWORD=" +
                                                   std::to_string(cword) + "; _siptap; printf '%s\\n' \"${COMPREPLY[@]}\""));
        REQUIRE(r.exit_code == 0);
        return r.out;
    };
    const auto subcommands = complete("siptap ''", 1);
    for (const auto& sub : kSubcommands) CHECK(subcommands.find(sub + "\n") != std::string::npos);
    CHECK(subcommands.find("_docs") == std::string::npos);  // hidden
    for (const auto& sub : kSubcommands) {
        const auto offered = complete("siptap " + sub + " --", 2);
        for (const auto& name : options_in_help(sub)) {
            INFO("siptap " << sub << ' ' << name);
            CHECK(offered.find(name + "\n") != std::string::npos);
        }
    }
    CHECK(complete("siptap read --ladder-format ''", 3) == "text\nmermaid\nplantuml\n");
    CHECK(complete("siptap demo --um-cert w", 3) == "wildcard\n");
}

TEST_CASE("cpack makes a .deb that depends on Debian's runtime libraries and runs the demo", "[install][slow]") {
    // CPack's dependency scan needs `file` too, and stops without it.
    for (const char* tool : {"cpack", "dpkg-deb", "dpkg-shlibdeps", "file"})
        test::require_available(tool, test::on_path(tool), "apt-get install cmake dpkg-dev file");
    const auto out = fresh_dir("deb");
    const auto made = run("cd " + quote(SIPTAP_BUILD_DIR) + " && cpack -G DEB -B " + quote(out) + " 2>&1", 300);
    INFO(made.out);
    REQUIRE(made.exit_code == 0);
    const auto deb = run("ls " + quote(out) + "/siptap_*.deb").out;
    REQUIRE(!deb.empty());
    const auto path = deb.substr(0, deb.find('\n'));
    const auto depends = run("dpkg-deb -f " + quote(path) + " Depends").out;
    INFO(depends);
    for (const char* lib : {"libpcap0.8", "libssl3", "libstdc++6", "libc6"}) CHECK(depends.find(lib) != std::string::npos);
    const auto listing = run("dpkg-deb -c " + quote(path)).out;
    for (const char* file : {"./usr/bin/siptap", "./usr/share/man/man1/siptap.1", "./usr/share/bash-completion/completions/siptap"})
        CHECK(listing.find(file) != std::string::npos);
    const auto root = fresh_dir("deb-root");
    REQUIRE(run("dpkg-deb -x " + quote(path) + " " + quote(root)).exit_code == 0);
    const auto demo = run(quote(root + "/usr/bin/siptap") + " demo 2>&1", 120);
    INFO(demo.out);
    CHECK(demo.exit_code == 0);
    CHECK(demo.out.find("wildcard") != std::string::npos);
}
