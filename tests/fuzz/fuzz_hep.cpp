// Arbitrary SIP (and addresses) through the HEPv3 encoder. Input: source address, '\n',
// destination address, '\n', then the SIP bytes. A packet it makes must be well formed: the
// HEP3 header's length is the packet's, and the chunks tile it exactly.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "decoder/sinks/hep_encoder.hpp"
#include "decoder/sip/sip_parser.hpp"

namespace {

std::size_t u16(const std::vector<std::byte>& p, std::size_t at) {
    return (std::to_integer<std::size_t>(p[at]) << 8) | std::to_integer<std::size_t>(p[at + 1]);
}

void check_framing(const std::vector<std::byte>& p) {
    if (p.size() < 6 || u16(p, 4) != p.size()) std::abort();
    std::size_t at = 6;
    while (at < p.size()) {
        if (at + 6 > p.size() || u16(p, at + 4) < 6) std::abort();
        at += u16(p, at + 4);
    }
    if (at != p.size()) std::abort();
}

std::string_view take_line(std::string_view& text) {
    const auto end = text.find('\n');
    const auto line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    decoder::Event e;
    e.src = {std::string(take_line(text)), static_cast<std::uint16_t>(size * 7919)};
    e.dst = {std::string(take_line(text)), 5061};
    e.ts = static_cast<decoder::Micros>(size) * 1'000'003;
    e.transport = size % 2 ? decoder::Transport::Udp : decoder::Transport::Tls;
    auto parsed = decoder::parse_sip_message(text, decoder::SipFraming::Datagram);
    if (parsed.status == decoder::ParseStatus::Complete) {
        e.payload = std::move(parsed.value);
    } else {
        decoder::SipMessage raw;  // what the encoder is given is the raw text in any case
        raw.raw = text;  // the input outlives this call, so the message may view it
        raw.call_id = text.substr(0, text.size() % 64);
        e.payload = std::move(raw);
    }
    const decoder::HepOptions options{static_cast<std::uint32_t>(size), std::string(text.substr(0, size % 17)),
                                      "siptap"};
    if (const auto packet = decoder::encode_hep(e, options)) check_framing(*packet);
    return 0;
}
