#include "proxy/resumption_cache.hpp"

namespace proxy {

SessionPtr share_session(SSL_SESSION* owned) {
    if (!owned) return nullptr;
    return SessionPtr(owned, SSL_SESSION_free);
}

ResumptionCache::ResumptionCache(std::size_t capacity, std::chrono::seconds lifetime)
    : capacity_(capacity), lifetime_(lifetime) {}

// Entries all live as long, so the oldest put is also the first to expire: the front of
// `order_` goes first, skipping what a later put of the same key replaced.
void ResumptionCache::evict_locked(std::chrono::steady_clock::time_point now) {
    while (!order_.empty()) {
        const auto& [key, serial] = order_.front();
        const auto it = entries_.find(key);
        const bool current = it != entries_.end() && it->second.serial == serial;
        if (current && entries_.size() < capacity_ && now - it->second.added < lifetime_) break;
        if (current) entries_.erase(it);
        order_.pop_front();
    }
    // A key put again and again leaves its older turns behind a live front: drop them, so
    // `order_` stays within twice the capacity.
    if (order_.size() > 2 * capacity_)
        std::erase_if(order_, [this](const auto& turn) {
            const auto it = entries_.find(turn.first);
            return it == entries_.end() || it->second.serial != turn.second;
        });
}

void ResumptionCache::put(const std::string& key, Entry entry) {
    if (capacity_ == 0 || !entry.upstream) return;
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    entries_.erase(key);
    evict_locked(now);
    const std::uint64_t serial = next_serial_++;
    entries_[key] = Stored{std::move(entry), now, serial};
    order_.emplace_back(key, serial);
}

std::optional<ResumptionCache::Entry> ResumptionCache::find(const std::string& key) {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(key);
    if (it == entries_.end() || std::chrono::steady_clock::now() - it->second.added >= lifetime_) return std::nullopt;
    return it->second.entry;
}

std::size_t ResumptionCache::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

}  // namespace proxy
