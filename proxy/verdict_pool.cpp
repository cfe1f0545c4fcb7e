#include "proxy/verdict_pool.hpp"

namespace proxy {

VerdictPool::~VerdictPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    pool_.stop();  // handshake steps not yet started are dropped with their sessions
    pool_.join();
}

bool VerdictPool::wait(const std::function<bool()>& ready, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, deadline, [&] { return stopping_ || ready(); });
    return ready();
}

void VerdictPool::update(const std::function<void()>& change) {
    {
        std::lock_guard lock(mutex_);
        change();
    }
    changed_.notify_all();
}

void VerdictPool::inspect(const std::function<void()>& look) {
    std::lock_guard lock(mutex_);
    look();
}

}  // namespace proxy
