// Feeds arbitrary bytes to the SIP parser as a datagram and as a stream cut at a point the
// input chooses; the two must never crash, and a stream fed at once or in two pieces must
// give the same messages.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "decoder/sip/sip_parser.hpp"
#include "decoder/sip/sip_stream.hpp"

namespace {

std::size_t count_messages(const std::vector<decoder::Payload>& out) {
    std::size_t n = 0;
    for (const auto& p : out) n += std::holds_alternative<decoder::SipMessage>(p);
    return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)decoder::parse_sip_message(text, decoder::SipFraming::Datagram);
    (void)decoder::parse_sip_message(text, decoder::SipFraming::Stream);

    const auto* bytes = reinterpret_cast<const std::byte*>(data);
    const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
    decoder::SipStream whole, split;
    std::vector<decoder::Payload> a, b;
    whole.feed({bytes, size}, a);
    whole.finish(a);
    split.feed({bytes, cut}, b);
    split.feed({bytes + cut, size - cut}, b);
    split.finish(b);
    if (count_messages(a) != count_messages(b)) std::abort();
    return 0;
}
