#include "proxy/evidence_file.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <unistd.h>

#include "decoder/base/private_file.hpp"

namespace proxy {

EvidenceFile::EvidenceFile(std::string option, const std::string& path, Mode mode)
    : name_(std::move(option) + " " + path) {
    fd_ = decoder::open_private_file(path, mode == Mode::Append ? decoder::PrivateFileMode::Append
                                                                : decoder::PrivateFileMode::Truncate);
    if (fd_ < 0) throw std::runtime_error(name_ + ": cannot create the file: " + std::strerror(errno));
}

EvidenceFile::~EvidenceFile() { ::close(fd_); }

bool EvidenceFile::write(std::span<const std::byte> chunk) noexcept {
    std::lock_guard lock(mutex_);
    if (failed()) return false;
    const off_t before = ::lseek(fd_, 0, SEEK_END);  // -1 on a pipe or device: nothing to undo
    std::size_t done = 0;
    while (done < chunk.size()) {
        const ssize_t n = ::write(fd_, chunk.data() + done, chunk.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int err = n < 0 ? errno : ENOSPC;
            // A reader (Wireshark, siptap read) sees whole blocks or lines up to the failure.
            if (before >= 0 && done > 0 && ::ftruncate(fd_, before) != 0) {
                // Nothing better to do: the failure below is reported either way.
            }
            failure_ = name_ + ": writing failed (" + std::strerror(err) + ")";
            failed_.store(true, std::memory_order_release);
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

std::string EvidenceFile::failure() const {
    return failed() ? failure_ : std::string();
}

}  // namespace proxy
