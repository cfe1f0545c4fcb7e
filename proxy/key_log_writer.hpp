// NSS key log file (SSLKEYLOGFILE format) shared by both legs of every connection; created
// with mode 0600, one line per secret, each written at once so Wireshark can follow live. A
// failed write is kept in file() (see evidence_file.hpp).
#pragma once

#include <string>

#include "proxy/evidence_file.hpp"

namespace proxy {

class KeyLogWriter {
public:
    // Throws std::runtime_error naming the file when it cannot be created.
    explicit KeyLogWriter(const std::string& path) : file_("--keylog", path, EvidenceFile::Mode::Append) {}

    void write(const char* line) noexcept;
    const EvidenceFile& file() const { return file_; }

private:
    EvidenceFile file_;
};

}  // namespace proxy
