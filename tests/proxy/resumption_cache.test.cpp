// The relay's resumption cache on its own: bounded in size (oldest first), entries past their
// lifetime never returned, a key put again replaces its entry, capacity 0 keeps nothing.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "proxy/resumption_cache.hpp"

using proxy::ResumptionCache;

namespace {

ResumptionCache::Entry entry() { return {proxy::share_session(SSL_SESSION_new()), proxy::share_session(SSL_SESSION_new())}; }

}  // namespace

TEST_CASE("[proxy] resumption cache: bounded, oldest first, replaced by key", "[proxy][resumption_cache]") {
    ResumptionCache cache(3, std::chrono::seconds(3600));
    const auto first = entry();
    cache.put("a", first);
    cache.put("b", entry());
    cache.put("c", entry());
    REQUIRE(cache.find("a"));
    CHECK(cache.find("a")->upstream == first.upstream);
    cache.put("d", entry());  // full: "a" goes
    CHECK_FALSE(cache.find("a"));
    CHECK(cache.find("b"));
    CHECK(cache.size() == 3);
    const auto again = entry();
    for (int i = 0; i < 100; ++i) cache.put("b", again);  // one entry, however often put
    CHECK(cache.size() == 3);
    CHECK(cache.find("b")->upstream == again.upstream);
    CHECK(cache.find("c"));
    CHECK(cache.find("d"));
    cache.put("e", entry());  // "c" is now the oldest
    CHECK_FALSE(cache.find("c"));
    CHECK(cache.find("b"));
}

TEST_CASE("[proxy] resumption cache: expired entries and capacity 0", "[proxy][resumption_cache]") {
    ResumptionCache expired(8, std::chrono::seconds(0));
    expired.put("a", entry());
    CHECK_FALSE(expired.find("a"));
    ResumptionCache off(0, std::chrono::seconds(3600));
    off.put("a", entry());
    CHECK_FALSE(off.find("a"));
    CHECK(off.size() == 0);
    ResumptionCache cache(8, std::chrono::seconds(3600));
    cache.put("no upstream session", {nullptr, proxy::share_session(SSL_SESSION_new())});
    CHECK_FALSE(cache.find("no upstream session"));
}
