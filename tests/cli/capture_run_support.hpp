// Test helpers: read a capture through the real pipeline in-process, and run the siptap
// binary with a bounded wait.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "decoder/analysis/diagnoser.hpp"
#include "decoder/model/events.hpp"

namespace decoder {
class KeyLog;
}

namespace test {

std::string pcap(const std::string& name);  // path under pcaps/

// Every event the pipeline (capture -> decoder -> diagnosis) emits for the files; with
// `keys`, TLS is decrypted where they can.
std::vector<decoder::Event> read_events(const std::vector<std::string>& files,
                                        decoder::DiagnosisOptions options = {},
                                        const decoder::KeyLog* keys = nullptr);

// What each TLS peer sent in plaintext, per direction (0: client), from pcaps/NAME.sent.txt.
std::array<std::string, 2> sent_bytes(const std::string& name);
// The decrypted SIP of the events, per direction (0: towards the server's port 5061).
std::array<std::string, 2> decrypted_sip(const std::vector<decoder::Event>& events);

struct RunResult {
    int exit_code = -1;
    std::string out, err;
};
// Runs siptap with the arguments (shell-quoted here), killed after `timeout_s` seconds.
RunResult run_siptap(const std::vector<std::string>& args, int timeout_s = 60);
// `s` quoted for sh: in single quotes, its own single quotes escaped.
std::string quote(const std::string& s);
// Runs a shell command, returns its stdout (stderr discarded) and exit code.
RunResult run_shell(const std::string& command, int timeout_s = 60);
// The lines of `text` that are not empty.
std::vector<std::string> non_empty_lines(const std::string& text);

template <class T>
std::vector<const T*> payloads(const std::vector<decoder::Event>& events) {
    std::vector<const T*> out;
    for (const auto& e : events)
        if (const auto* p = e.as<T>()) out.push_back(p);
    return out;
}

std::vector<std::string> finding_codes(const std::vector<decoder::Event>& events);

}  // namespace test
