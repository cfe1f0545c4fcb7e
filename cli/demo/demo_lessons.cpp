#include "cli/demo/demo_lessons.hpp"

#include <algorithm>

namespace cli::demo {

namespace {

struct Lesson {
    std::string_view lync_verdict_starts;
    std::vector<std::string_view> any_finding;  // empty: no error finding at all
};

Lesson lesson_of(const std::string& um_cert) {
    if (um_cert == "good") return {"answered 200 OK", {}};
    if (um_cert == "wildcard") return {"closed the connection without a word", {"wildcard-subject-cn"}};
    if (um_cert == "san-only")
        return {"closed the connection without a word", {"cn-not-peer-fqdn", "san-ignored-by-lync"}};
    if (um_cert == "expired") return {"refused the handshake with the certificate_expired alert", {"cert-expired"}};
    return {"refused the handshake with the unknown_ca alert", {"untrusted-issuer"}};
}

}  // namespace

bool lesson_shown(const std::string& um_cert, std::string_view lync_verdict,
                  const std::vector<std::string>& error_codes) {
    const Lesson lesson = lesson_of(um_cert);
    if (!lync_verdict.starts_with(lesson.lync_verdict_starts)) return false;
    if (lesson.any_finding.empty()) return error_codes.empty();
    return std::any_of(lesson.any_finding.begin(), lesson.any_finding.end(), [&](std::string_view code) {
        return std::find(error_codes.begin(), error_codes.end(), code) != error_codes.end();
    });
}

std::string lesson_line(const std::string& um_cert, std::string_view lync_verdict, bool shown) {
    const Lesson lesson = lesson_of(um_cert);
    std::string line = shown ? "  Demonstrated: Lync " : "  NOT demonstrated: expected Lync ";
    line += lesson.lync_verdict_starts;
    line += lesson.any_finding.empty() ? std::string(" with no error finding")
                                       : " and the finding " + std::string(lesson.any_finding.front());
    if (!shown) line += ", but Lync " + std::string(lync_verdict);
    return line;
}

}  // namespace cli::demo
