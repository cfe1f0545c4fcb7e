// Each subcommand lives in its own file and registers itself here. A registration adds the
// CLI11 subcommand and returns what to run when it was chosen (returns the exit code).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace cli {

using Runner = std::function<int()>;

// Exit codes (SPEC.md): 0 no errors found, 1 findings of severity error, 2 usage/input error.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitUsage = 2;

Runner add_read_command(CLI::App& app);
Runner add_proxy_command(CLI::App& app);  // cli/proxy_command.cpp
Runner add_demo_command(CLI::App& app);   // cli/demo/demo_command.cpp
Runner add_live_command(CLI::App& app);   // cli/live_command.cpp
Runner add_docs_command(CLI::App& app);   // cli/reference_docs.cpp: hidden, man page and completion

}  // namespace cli
