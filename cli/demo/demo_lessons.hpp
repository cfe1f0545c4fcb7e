// What each `siptap demo --um-cert` run sets out to show: Lync's answer and the finding that
// names the cause (none for the good certificate). The demo succeeds when it showed that,
// whatever it found: a bad certificate's error findings are the point of its run.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cli::demo {

// `lync_verdict` as the narrator words it ("answered 200 OK", "closed the connection without
// a word ...", "refused the handshake with the X alert"); `error_codes` the error findings.
bool lesson_shown(const std::string& um_cert, std::string_view lync_verdict,
                  const std::vector<std::string>& error_codes);

// "Demonstrated: Lync ..." or "NOT demonstrated: expected Lync ..., but Lync ...", indented.
std::string lesson_line(const std::string& um_cert, std::string_view lync_verdict, bool shown);

}  // namespace cli::demo
