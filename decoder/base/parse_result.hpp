// The result every parser in decoder/ returns: it never throws on untrusted input.
#pragma once

#include <cstddef>
#include <string>

namespace decoder {

enum class ParseStatus { Complete, Incomplete, Error };

template <class T>
struct ParseResult {
    ParseStatus status = ParseStatus::Incomplete;
    std::size_t consumed = 0;  // Complete: bytes the value used
    T value{};
    std::string error;  // Error: what was wrong, one line

    static ParseResult incomplete() { return {}; }
    static ParseResult failure(std::string why) {
        ParseResult r;
        r.status = ParseStatus::Error;
        r.error = std::move(why);
        return r;
    }
};

}  // namespace decoder
