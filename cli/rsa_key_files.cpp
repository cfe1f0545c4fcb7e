// --rsa-key loading; see rsa_key_files.hpp.
#include "cli/rsa_key_files.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>

#include "decoder/tls/tls_keylog.hpp"

namespace cli {

namespace {

constexpr std::size_t kMaxKeyFile = 1u << 20;  // keys and .pfx files are a few KB

// Reads a line from the terminal without echo.
std::string prompt_password(const std::string& file) {
    std::cerr << "siptap: password for " << file << ": " << std::flush;
    termios old {};
    const bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string password;
    std::getline(std::cin, password);
    if (tty) tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << '\n';
    return password;
}

bool load_one(const std::string& file, decoder::KeyLog& keys) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        std::cerr << "siptap: " << file << ": cannot read the key file\n";
        return false;
    }
    std::string data;
    data.assign(std::istreambuf_iterator<char>(in), {});
    if (data.size() > kMaxKeyFile) {
        std::cerr << "siptap: " << file << ": too large for a key file (" << data.size() << " bytes)\n";
        return false;
    }
    const auto bytes = std::as_bytes(std::span(data));
    const char* env = std::getenv("SIPTAP_KEY_PASSWORD");
    auto problem = keys.rsa_keys().add(bytes, file, env ? env : "");
    if (problem && !env && isatty(STDIN_FILENO) && problem->find("password") != std::string::npos)
        problem = keys.rsa_keys().add(bytes, file, prompt_password(file));
    if (!problem) return true;
    std::cerr << "siptap: " << file << ": " << *problem << '\n';
    return false;
}

}  // namespace

void add_rsa_key_option(CLI::App& command, std::vector<std::string>& files) {
    command.add_option("--rsa-key", files,
                       "server RSA private key (PEM, DER, or PKCS#12 .pfx; password from SIPTAP_KEY_PASSWORD "
                       "or a prompt) to decrypt TLS 1.0-1.2 sessions with RSA key exchange; repeatable")
        ->type_name("FILE")
        // One file per --rsa-key, so `read A.pcap --rsa-key K B.pcap` keeps B.pcap a capture.
        ->allow_extra_args(false)
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

bool load_rsa_keys(const std::vector<std::string>& files, decoder::KeyLog& keys) {
    bool ok = true;
    for (const auto& file : files) ok &= load_one(file, keys);
    return ok;
}

void report_unmatched_rsa_keys(const decoder::KeyLog& keys) {
    const auto& rsa = keys.rsa_keys();
    const auto seen = rsa.certificates_seen();
    for (const auto& file : rsa.unmatched())
        std::cerr << "siptap: " << file << ": the key matches none of the " << seen << " server certificate"
                  << (seen == 1 ? "" : "s") << " seen in RSA key exchange sessions\n";
}

}  // namespace cli
