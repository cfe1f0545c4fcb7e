// The man page and the bash completion, written from the same CLI11 definitions that print
// --help, so an option added to a subcommand appears in both without anyone remembering to.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace cli {

// roff (man(7) macros) for siptap(1): every visible subcommand with its options and
// positionals, exit status, see also.
std::string man_page(const CLI::App& app);

// A bash script that completes subcommands, each subcommand's options, the values of options
// with a fixed set of choices, and file names for the rest.
std::string bash_completion(const CLI::App& app);

}  // namespace cli
