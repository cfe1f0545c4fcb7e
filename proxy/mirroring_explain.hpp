// `siptap proxy --explain-mirroring`: what the relay copies from each peer onto the other leg,
// and what it cannot, for an administrator who wants to know what the upstream sees. The
// ClientHello fields, the copied certificate extensions and the resumption limits are read from
// the tables and constants the relay itself uses, so the text follows the code.
#pragma once

#include <string>

namespace proxy {

std::string explain_mirroring();

}  // namespace proxy
