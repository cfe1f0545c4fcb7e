// What a test needs from the machine (a tool, root) and what happens when it is missing: the
// test FAILS, naming what is missing and how to get it. The only way around that is an explicit
// opt-out, SIPTAP_ALLOW_SKIP=name,name,... (or "all"); then the test process ends with
// kSkipExitCode, which ctest shows as "Skipped" (SKIP_RETURN_CODE in tests/CMakeLists.txt),
// never as passed.
#pragma once

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

namespace test {

constexpr int kSkipExitCode = 77;

// True if SIPTAP_ALLOW_SKIP names `what` (comma-separated) or is "all".
inline bool skip_allowed(const std::string& what) {
    const char* env = std::getenv("SIPTAP_ALLOW_SKIP");
    if (!env) return false;
    std::istringstream names(env);
    for (std::string name; std::getline(names, name, ',');)
        if (name == what || name == "all") return true;
    return false;
}

// Returns if `available`; otherwise fails the test, or skips it when the user allowed that.
inline void require_available(const std::string& what, bool available, const std::string& how_to_get) {
    if (available) return;
    const std::string missing = what + " is missing: " + how_to_get;
    if (skip_allowed(what)) {
        std::fprintf(stderr, "SKIPPED (SIPTAP_ALLOW_SKIP=%s): %s\n", std::getenv("SIPTAP_ALLOW_SKIP"), missing.c_str());
        std::fflush(nullptr);
        std::_Exit(kSkipExitCode);  // no destructors: nothing of the test has started yet
    }
    FAIL(missing << " (to skip this test instead, set SIPTAP_ALLOW_SKIP=" << what << ")");
}

// A program on PATH.
inline bool on_path(const std::string& program) {
    return std::system(("command -v '" + program + "' >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace test
