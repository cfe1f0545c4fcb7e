#include "proxy/key_log.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace proxy {

KeyLog::KeyLog(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error(path + ": cannot create key log: " + std::strerror(errno));
    ::fchmod(fd, 0600);  // an existing file keeps no wider mode
    file_ = ::fdopen(fd, "a");
    if (!file_) {
        ::close(fd);
        throw std::runtime_error(path + ": cannot open key log");
    }
}

KeyLog::~KeyLog() {
    if (file_) std::fclose(file_);
}

void KeyLog::write(const char* line) noexcept {
    std::lock_guard lock(mutex_);
    std::fputs(line, file_);
    std::fputc('\n', file_);
    std::fflush(file_);
}

}  // namespace proxy
