// siptap's entry point: parses the command line (CLI11) and runs one subcommand.
#include <CLI/CLI.hpp>
#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{"siptap: see SIP over TLS between Exchange UM and Lync, and why it fails"};
    app.require_subcommand(1);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    return 0;
}
