// SipMessage's text fields are views (decoder/model/events.hpp) and refuse a std::string: a
// test that builds its text keeps it here, alive until the test binary exits.
#pragma once

#include <deque>
#include <string>
#include <string_view>

namespace test {

inline std::string_view kept(std::string text) {
    static std::deque<std::string> pool;  // a deque never moves what it already holds
    return pool.emplace_back(std::move(text));
}

}  // namespace test
