// `--rsa-key FILE` for read and live: loads each server private key file (PEM, DER, or
// PKCS#12 .pfx) into the decoder's key set, and after the run names the keys that matched no
// server certificate. The password (for a .pfx or an encrypted PEM key) comes from the
// environment variable SIPTAP_KEY_PASSWORD, or, when it is unset and stdin is a terminal,
// from a prompt without echo; never from an argument (it would show in `ps` and in shell
// history).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace decoder {
class KeyLog;
}

namespace cli {

// Adds the repeatable --rsa-key option to a subcommand.
void add_rsa_key_option(CLI::App& command, std::vector<std::string>& files);

// Loads every file; one line on stderr per file that cannot be used (naming the file and
// why). Returns false when any failed; the others are loaded.
bool load_rsa_keys(const std::vector<std::string>& files, decoder::KeyLog& keys);

// After the run: one line per key file that matched none of the server certificates seen.
void report_unmatched_rsa_keys(const decoder::KeyLog& keys);

}  // namespace cli
