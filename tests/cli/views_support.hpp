// Helpers for the views tests (HTML report, live capture): run a shell command with a time
// bound, read a file, find where test artifacts go.
#pragma once

#include <string>

namespace views_test {

struct Output {
    int exit_code = -1;  // -1 when the command could not run or was killed
    std::string out;     // stdout
};

// Runs `command` under `timeout -k 5 <seconds>` in /bin/sh; stderr is left to the caller's
// redirections.
Output run(const std::string& command, int seconds = 60);

std::string slurp(const std::string& path);
// Shell single-quoting.
std::string quote(const std::string& s);
// <build dir>/test-artifacts (created), where screenshots and reports are kept.
std::string artifact_dir();

}  // namespace views_test
