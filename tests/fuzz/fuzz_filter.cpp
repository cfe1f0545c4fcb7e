// Arbitrary bytes as a --filter expression: the parser either refuses it (std::invalid_argument
// naming the word, the only exception it may throw) or gives a filter that can judge events
// of every kind without crashing.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "decoder/model/event_filter.hpp"

namespace {

decoder::Event event(std::uint64_t conn, decoder::Endpoint src, decoder::Endpoint dst, decoder::Payload p) {
    decoder::Event e;
    e.conn = conn;
    e.src = std::move(src);
    e.dst = std::move(dst);
    e.payload = std::move(p);
    return e;
}

const std::vector<decoder::Event>& events() {
    static const std::vector<decoder::Event> all = [] {
        const decoder::Endpoint um{"10.0.0.2", 50341}, lync{"2001:db8::3", 5061};
        decoder::SipMessage request, response;
        request.is_request = true;
        request.method = "INVITE";
        request.call_id = "abc123@exch01";
        response.method = "INVITE";
        response.status = 504;
        response.call_id = "abc123@exch01";
        decoder::TlsMessage hello;
        hello.type = "client_hello";
        return std::vector<decoder::Event>{event(1, um, lync, request), event(1, lync, um, response),
                                           event(2, um, lync, hello), event(3, lync, um, decoder::Finding{})};
    }();
    return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto filter = decoder::EventFilter::parse({reinterpret_cast<const char*>(data), size});
        for (const auto& e : events()) (void)filter.matches(e);
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
