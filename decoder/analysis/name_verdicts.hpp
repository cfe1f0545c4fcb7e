// Would a peer accept this certificate for this name? Two rules side by side, so an
// administrator sees why a certificate a browser accepts is refused by Lync:
//  - Lync/Skype for Business server-to-server: the subject CN must be the peer's FQDN;
//    the SANs are not looked at and a wildcard CN is never accepted.
//  - RFC 6125 (what TLS clients and browsers do): the SAN DNS names when there are any,
//    the CN only when there are none; a wildcard only as the whole left-most label.
#pragma once

#include <string>
#include <string_view>

#include "decoder/model/events.hpp"

namespace decoder {

struct NameVerdict {
    bool accepted = false;
    std::string reason;  // one sentence: which field matched or why none did
    std::string brief;   // the same in a few words for one-line output: "wildcard CN *.contoso.com"
};

NameVerdict lync_verdict(const Certificate& cert, std::string_view name);
NameVerdict rfc6125_verdict(const Certificate& cert, std::string_view name);

// One presented identifier against a reference name per RFC 6125 section 6.4 (DNS names:
// case-insensitive (ASCII), trailing dot ignored; "*" only as the complete left-most label,
// never over an internationalised label (A-label "xn--..." or raw UTF-8), never for a
// public-suffix-like two-label pattern). Names are compared as given: no IDNA conversion.
bool rfc6125_dns_match(std::string_view pattern, std::string_view name);

}  // namespace decoder
