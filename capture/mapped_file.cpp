#include "capture/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csetjmp>
#include <csignal>
#include <cstring>
#include <mutex>

namespace capture {

namespace {

// The copy in progress on this thread, for the SIGBUS handler to jump back to.
thread_local sigjmp_buf* active_copy = nullptr;
struct sigaction previous_bus_action {};

void on_bus_error(int signal, siginfo_t* info, void* context) {
    if (active_copy != nullptr) siglongjmp(*active_copy, 1);
    // Not ours: put back whoever handled it before (the default ends the process) and let the
    // faulting instruction run again into it.
    (void)signal, (void)info, (void)context;
    sigaction(SIGBUS, &previous_bus_action, nullptr);
}

// Installed when a file is mapped, unless it is in place already: a test framework or a
// fuzzer may have put its own handler over it since (we then pass on to theirs what is not
// ours). SA_NODEFER: the handler leaves by siglongjmp without restoring a signal mask, so
// SIGBUS must not be blocked while it runs.
void install_bus_handler() {
    static std::mutex mutex;
    const std::lock_guard lock(mutex);
    struct sigaction current {};
    if (sigaction(SIGBUS, nullptr, &current) == 0 && (current.sa_flags & SA_SIGINFO) != 0 &&
        current.sa_sigaction == on_bus_error)
        return;
    struct sigaction action {};
    action.sa_sigaction = on_bus_error;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous_bus_action);
}

constexpr std::size_t kReleaseStep = 2 << 20;  // give pages back 2 MB at a time

}  // namespace

std::unique_ptr<MappedFile> MappedFile::open(const std::string& path, std::string& problem) {
    // Looked at before opening: opening a FIFO and closing it again would end its writer
    // with SIGPIPE before the caller's fallback reads it.
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
        problem = "not a regular file";
        return nullptr;
    }
    // O_NONBLOCK: should a FIFO take the file's place meanwhile, no waiting for a writer.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        problem = std::strerror(errno);
        return nullptr;
    }
    void* map = MAP_FAILED;
    if (::fstat(fd, &st) != 0) problem = std::strerror(errno);
    else if (!S_ISREG(st.st_mode)) problem = "not a regular file";
    else if (st.st_size <= 0) problem = "empty file";
    else if ((map = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
        problem = std::strerror(errno);
    ::close(fd);
    if (map == MAP_FAILED) return nullptr;
    const auto size = static_cast<std::size_t>(st.st_size);
    ::madvise(map, size, MADV_SEQUENTIAL);  // read ahead further, drop behind sooner
    install_bus_handler();
    return std::unique_ptr<MappedFile>(new MappedFile(static_cast<const std::byte*>(map), size));
}

MappedFile::~MappedFile() {
    ::munmap(const_cast<std::byte*>(base_), size_);
}

long MappedFile::copy(std::size_t at, void* to, std::size_t n) noexcept {
    if (shrunk_) return -1;
    if (at >= size_) return 0;
    n = std::min(n, size_ - at);
    sigjmp_buf here;
    sigjmp_buf* const outer = active_copy;
    if (sigsetjmp(here, 0) != 0) {
        active_copy = outer;
        shrunk_ = true;
        return -1;
    }
    // The fences keep the compiler from dropping the first store as dead: it cannot see that
    // a signal handler reads it while memcpy runs.
    active_copy = &here;
    std::atomic_signal_fence(std::memory_order_seq_cst);
    std::memcpy(to, base_ + at, n);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    active_copy = outer;
    return static_cast<long>(n);
}

void MappedFile::release_before(std::size_t at) noexcept {
    if (at < released_ + kReleaseStep) return;
    static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t upto = at / page * page;
    ::madvise(const_cast<std::byte*>(base_) + released_, upto - released_, MADV_DONTNEED);
    released_ = upto;
}

}  // namespace capture
