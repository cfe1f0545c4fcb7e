// NSS key log file (SSLKEYLOGFILE format) shared by both legs of every connection; created
// with mode 0600, one line per secret, flushed per line so Wireshark can follow live.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>

namespace proxy {

class KeyLog {
public:
    // Throws std::runtime_error naming the file when it cannot be created.
    explicit KeyLog(const std::string& path);
    ~KeyLog();
    KeyLog(const KeyLog&) = delete;
    KeyLog& operator=(const KeyLog&) = delete;

    void write(const char* line) noexcept;

private:
    std::mutex mutex_;
    std::FILE* file_ = nullptr;
};

}  // namespace proxy
