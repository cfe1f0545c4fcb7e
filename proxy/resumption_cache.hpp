// The upstream sessions the relay can resume, per relay instance (one upstream), keyed by what
// a client offers in its ClientHello to resume the session the relay gave it on an earlier
// connection: the session id, or the TLS 1.2 ticket's bytes (see resumption_mirror.hpp).
// Bounded in size and lifetime, safe to use from every I/O thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <openssl/ssl.h>
#include <optional>
#include <string>
#include <unordered_map>

namespace proxy {

// Default bounds of the relay's cache. Schannel keeps sessions for 10 hours; an hour covers
// a maintenance window's reconnects without holding sessions of clients long gone.
inline constexpr std::size_t kResumptionCapacity = 4096;
inline constexpr std::chrono::seconds kResumptionLifetime{3600};

using SessionPtr = std::shared_ptr<SSL_SESSION>;

// Takes over one reference (as SSL_get1_session returns it); null stays null.
SessionPtr share_session(SSL_SESSION* owned);

class ResumptionCache {
public:
    struct Entry {
        SessionPtr upstream;  // the relay's session with the upstream (the relay as client)
        SessionPtr client;    // the client's session with the relay (the relay as server)
    };

    // capacity 0: nothing is kept, every client runs full handshakes through the relay.
    ResumptionCache(std::size_t capacity, std::chrono::seconds lifetime);

    // Replaces an entry of the same key; the oldest entries go when the cache is full.
    void put(const std::string& key, Entry entry);
    // Nullopt when absent or older than the lifetime.
    std::optional<Entry> find(const std::string& key);
    std::size_t size() const;
    std::chrono::seconds lifetime() const { return lifetime_; }

private:
    struct Stored {
        Entry entry;
        std::chrono::steady_clock::time_point added;
        std::uint64_t serial;  // which put() of this key `order_` refers to
    };
    void evict_locked(std::chrono::steady_clock::time_point now);

    const std::size_t capacity_;
    const std::chrono::seconds lifetime_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Stored> entries_;
    std::deque<std::pair<std::string, std::uint64_t>> order_;  // oldest put first
    std::uint64_t next_serial_ = 0;
};

}  // namespace proxy
