// A file the relay writes its evidence to (--keylog, --write-pcap, --capture): created with
// mode 0600 (it holds secrets or decrypted traffic), written in whole chunks. A failed write
// (a full disk, an I/O error) is kept, never thrown or ignored: the file is cut back to its
// last whole chunk, nothing more is written to it, and the relay reports the failure on every
// connection whose data it lacks and exits 2 at the end. Thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <span>
#include <string>

namespace proxy {

class EvidenceFile {
public:
    enum class Mode { Truncate, Append };
    // `option` names the file in messages ("--capture"). Throws std::runtime_error naming the
    // file when it cannot be created.
    EvidenceFile(std::string option, const std::string& path, Mode mode);
    ~EvidenceFile();
    EvidenceFile(const EvidenceFile&) = delete;
    EvidenceFile& operator=(const EvidenceFile&) = delete;

    // The whole chunk or nothing (as far as the file system lets us undo a partial write).
    // False once any write has failed.
    bool write(std::span<const std::byte> chunk) noexcept;
    bool write(std::string_view text) noexcept { return write(std::as_bytes(std::span(text))); }

    bool failed() const noexcept { return failed_.load(std::memory_order_acquire); }
    // "--capture out.pcapng: writing failed (No space left on device)"; empty while none has.
    std::string failure() const;

private:
    std::string name_;  // option and path
    int fd_ = -1;
    std::mutex mutex_;
    std::string failure_;  // set once, before failed_
    std::atomic<bool> failed_{false};
};

}  // namespace proxy
