// Would a peer accept this certificate for this name? Two rules side by side, so an
// administrator sees why a certificate a browser accepts is refused by Lync:
//  - Lync/Skype for Business server-to-server: the subject CN must be the peer's FQDN;
//    the SANs are not looked at and a wildcard CN is never accepted.
//  - RFC 6125 (what TLS clients and browsers do): the SAN DNS names when there are any,
//    the CN only when there are none; a wildcard only as the whole left-most label.
#pragma once

#include <string>
#include <string_view>

#include "decoder/events.hpp"

namespace decoder {

struct NameVerdict {
    bool accepted = false;
    std::string reason;  // one sentence: which field matched or why none did
};

NameVerdict lync_verdict(const Certificate& cert, std::string_view name);
NameVerdict rfc6125_verdict(const Certificate& cert, std::string_view name);

// One presented identifier against a reference name per RFC 6125 section 6.4 (DNS names:
// case-insensitive, trailing dot ignored; "*" only as the complete left-most label, never
// over an IDN A-label, never for a public-suffix-like two-label pattern).
bool rfc6125_dns_match(std::string_view pattern, std::string_view name);

}  // namespace decoder
