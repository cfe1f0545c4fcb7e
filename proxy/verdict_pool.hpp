// Threads on which the client-facing handshake runs in --forge-ca mode, so that it can wait for
// the upstream's verdict without holding an I/O thread.
//
// With forged certificates the client's handshake must stop after the client's Certificate
// message, inside OpenSSL's verification callback, until the upstream has judged the forgery
// of that certificate. OpenSSL 3.0 can suspend a handshake there only as a client
// (SSL_set_retry_verify; its server state machine takes a suspended verification for a
// failure), so the callback has to wait where it is: on one of these threads, while the I/O
// threads finish the upstream's handshake. Destroying the pool (before the io_context) wakes
// every waiting callback with a refusal.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace proxy {

class VerdictPool {
public:
    explicit VerdictPool(unsigned threads) : pool_(threads) {}
    ~VerdictPool();
    VerdictPool(const VerdictPool&) = delete;
    VerdictPool& operator=(const VerdictPool&) = delete;

    boost::asio::thread_pool::executor_type executor() { return pool_.get_executor(); }

    // On a pool thread: waits until `ready()` (checked under the pool's lock), `deadline`, or
    // the pool's end; returns ready().
    bool wait(const std::function<bool()>& ready, std::chrono::steady_clock::time_point deadline);
    // Makes `change` (under the pool's lock) and wakes the waiters to check again.
    void update(const std::function<void()>& change);
    // Runs `look` under the pool's lock without waking anyone: reads of what update() changes.
    void inspect(const std::function<void()>& look);

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool stopping_ = false;
    boost::asio::thread_pool pool_;
};

}  // namespace proxy
