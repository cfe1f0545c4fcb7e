#include "decoder/base/private_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>

namespace decoder {

int open_private_file(const std::string& path, PrivateFileMode mode) noexcept {
    const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (mode == PrivateFileMode::Append ? O_APPEND : O_TRUNC);
    const int fd = ::open(path.c_str(), flags, 0600);
    if (fd >= 0) ::fchmod(fd, 0600);  // best effort: a file of another owner may refuse it
    return fd;
}

}  // namespace decoder
