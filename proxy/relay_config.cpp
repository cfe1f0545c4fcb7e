#include "proxy/relay_config.hpp"

#include <charconv>
#include <stdexcept>

namespace proxy {

HostPort parse_host_port(const std::string& text, PortZero zero) {
    auto bad = [&](const char* why) {
        return std::invalid_argument("'" + text + "': " + why + " (expected HOST:PORT or [IPv6]:PORT)");
    };
    std::string host, port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
            throw bad("unbalanced brackets or no port");
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string::npos) throw bad("no port");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string::npos) throw bad("IPv6 addresses need brackets");
    }
    if (host.empty()) throw bad("no host");
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    const unsigned lowest = zero == PortZero::AnyFreePort ? 0 : 1;
    if (ec != std::errc{} || end != port.data() + port.size() || value < lowest || value > 65535)
        throw bad(lowest == 0 ? "port is not 0..65535" : "port is not 1..65535");
    return {host, static_cast<std::uint16_t>(value)};
}

}  // namespace proxy
