// SSLv2-compatible ClientHello; see tls_sslv2.hpp.
#include "decoder/tls/tls_sslv2.hpp"

#include <algorithm>

#include "decoder/tls/tls_names.hpp"

namespace decoder::tls {

namespace {

constexpr std::uint8_t kClientHello = 1;

unsigned at(Bytes in, std::size_t i) { return std::to_integer<unsigned>(in[i]); }

std::string spec_name(Bytes spec) {
    if (at(spec, 0) == 0) return cipher_suite_name(static_cast<std::uint16_t>(at(spec, 1) << 8 | at(spec, 2)));
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex = "SSL2_CK_0x";
    for (std::size_t i = 0; i < 3; ++i) hex += {digits[at(spec, i) >> 4], digits[at(spec, i) & 0xf]};
    return hex;
}

}  // namespace

bool starts_like_sslv2_hello(Bytes b) noexcept {
    if (b.size() < 3 || !(at(b, 0) & 0x80) || at(b, 2) != kClientHello) return false;
    return b.size() < 4 || at(b, 3) == 3;
}

std::size_t sslv2_record_size(Bytes in) noexcept {
    if (in.size() < 2) return 2;
    return 2 + ((at(in, 0) & 0x7f) << 8 | at(in, 1));
}

ParseResult<Sslv2Hello> parse_sslv2_client_hello(Bytes in) noexcept {
    using R = ParseResult<Sslv2Hello>;
    const std::size_t size = sslv2_record_size(in);
    if (in.size() < size || size == 2) return size == 2 && in.size() >= 2 ? R::failure("empty SSLv2 record") : R{};
    try {
        const Bytes msg = in.subspan(2, size - 2);
        ByteReader r(msg);
        std::uint8_t type = 0;
        std::uint16_t version = 0, specs_len = 0, session_len = 0, challenge_len = 0;
        Bytes specs, session, challenge;
        if (!r.u8(type) || type != kClientHello || !r.u16(version) || (version >> 8) != 3 || !r.u16(specs_len) ||
            !r.u16(session_len) || !r.u16(challenge_len))
            return R::failure("malformed SSLv2-compatible client_hello: header");
        if (specs_len == 0 || specs_len % 3 || (session_len != 0 && session_len != 16) || challenge_len < 16 ||
            challenge_len > 32 || !r.bytes(specs_len, specs) || !r.bytes(session_len, session) ||
            !r.bytes(challenge_len, challenge) || !r.empty())
            return R::failure("malformed SSLv2-compatible client_hello: lengths");
        R result;
        result.status = ParseStatus::Complete;
        result.consumed = size;
        auto& hello = result.value;
        hello.message.type = "client_hello";
        hello.message.version = version_name(version);
        for (std::size_t i = 0; i < specs.size(); i += 3) hello.message.ciphers.push_back(spec_name(specs.subspan(i, 3)));
        std::copy(challenge.begin(), challenge.end(), hello.random.end() - static_cast<std::ptrdiff_t>(challenge.size()));
        hello.hello_bytes = msg;
        return result;
    } catch (...) {
        return R::failure("out of memory decoding an SSLv2-compatible client_hello");
    }
}

}  // namespace decoder::tls
