// Feeds arbitrary bytes to the SIP parser as a datagram and as a stream cut at a point the
// input chooses; the two must never crash, and a stream fed at once or in two pieces must
// give the same messages. The same bytes, as a JSON string value, must read back as they
// are: the JSON lines carry SIP text as it came off the wire, through an escaper that scans
// blocks of 4 to 16 bytes at a time.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "decoder/base/utf8.hpp"
#include "decoder/sinks/json_line.hpp"
#include "decoder/sip/sip_parser.hpp"
#include "decoder/sip/sip_stream.hpp"

namespace {

// What a JSON reader must get back from the escaped text: every valid UTF-8 sequence as it
// is, every other byte as U+FFFD, one per byte.
std::string readable(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        if (const auto n = decoder::utf8_length(s, i)) {
            out.append(s.substr(i, n));
            i += n;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    return out;
}

void check_json_string(std::string_view text) {
    std::string line;
    {
        decoder::json::Line writer(line);
        writer.string(text);
    }
    const auto parsed = nlohmann::json::parse(line, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_string() || parsed.get<std::string>() != readable(text)) std::abort();
}

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
    check_json_string(text);

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
