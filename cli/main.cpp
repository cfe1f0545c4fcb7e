// siptap's entry point: parses the command line (CLI11) and runs the chosen subcommand.
// Exceptions end here: startup problems (bad file, bad option) become exit code 2.
#include <CLI/CLI.hpp>
#include <iostream>
#include <utility>
#include <vector>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
    CLI::App app{"siptap: shows SIP over (mutual) TLS between servers such as Exchange UM and "
                 "Lync/Skype for Business — handshakes, certificates, messages, teardowns — "
                 "and says what went wrong"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "siptap 0.1.0");
    std::vector<std::pair<CLI::App*, cli::Runner>> commands;
    for (auto add : {cli::add_read_command, cli::add_proxy_command, cli::add_live_command, cli::add_demo_command,
                     cli::add_docs_command}) {
        auto runner = add(app);
        commands.emplace_back(app.get_subcommands({}).back(), std::move(runner));
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? cli::kExitOk : cli::kExitUsage;
    }
    try {
        for (auto& [sub, run] : commands)
            if (sub->parsed()) return run();
    } catch (const std::exception& e) {
        std::cerr << "siptap: " << e.what() << '\n';
        return cli::kExitUsage;
    }
    return cli::kExitUsage;
}
