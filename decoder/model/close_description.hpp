// How a connection ended, in words: one sentence read by the text sink, the summary and the
// redirect findings alike. It lives with the events, below the sinks and the analysis, so
// the analysis can quote it without including a sink.
#pragma once

#include <string>

#include "decoder/model/events.hpp"

namespace decoder {

// "closed by 10.0.0.3:5061 (server) with FIN 3 ms after client OPTIONS ... — ..."
std::string describe_close(const ConnClose& close, Transport transport);

}  // namespace decoder
