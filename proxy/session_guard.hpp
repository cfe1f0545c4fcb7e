// The last line of defence of a relay session. Nothing triggered by the network throws (see
// STYLE.md), but a bug or an allocation that fails might; such an exception must neither end
// the whole relay nor vanish: it is reported on the connection it broke, which is closed,
// and the relay goes on with the others.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>

#include "proxy/leg_recorder.hpp"

namespace proxy {

// Awaits `body`. An exception escaping it becomes a relay-error notice on `client` and, when
// it was opened, `upstream` (naming the exception); false then, true when `body` returned.
boost::asio::awaitable<bool> guard_session(boost::asio::awaitable<void> body, LegRecorder& client,
                                           std::optional<LegRecorder>& upstream);

}  // namespace proxy
