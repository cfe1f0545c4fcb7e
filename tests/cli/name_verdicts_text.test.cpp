// The text output shows each leaf certificate's two name verdicts on the line under it and in
// the closing summary, for the wildcard incident: Lync refuses the UM certificate (wildcard
// CN), RFC 6125 accepts it (a SAN matches); --expect-peer changes the name they are given for.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "views_support.hpp"

namespace {

using views_test::quote;

std::vector<std::string> read_lines(const std::string& extra) {
    const auto run = views_test::run(quote(SIPTAP_BINARY) + " read --no-color " + extra + " " +
                                     quote(SIPTAP_PCAP_DIR "/tls-wildcard-incident.pcapng") + " 2>/dev/null");
    REQUIRE(run.exit_code == 1);
    std::vector<std::string> lines;
    std::istringstream in(run.out);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// The line right under the first line that contains `what`.
std::string line_after(const std::vector<std::string>& lines, const std::string& what, std::size_t from = 0) {
    for (std::size_t i = from; i + 1 < lines.size(); ++i)
        if (lines[i].find(what) != std::string::npos) return lines[i + 1];
    return {};
}

std::size_t index_of(const std::vector<std::string>& lines, const std::string& what) {
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (lines[i] == what) return i;
    return lines.size();
}

}  // namespace

TEST_CASE("[verdicts-text] each leaf certificate line is followed by both verdicts", "[verdicts-text]") {
    const auto lines = read_lines("");
    const std::string um = "names: Lync: refused (wildcard CN *.contoso.com)  RFC 6125: accepted (SAN *.contoso.com)  "
                           "for exch01.contoso.com (its own SAN: the verdicts judge the form only)";
    const std::string lync = "names: Lync: accepted (CN lync01.contoso.com)  RFC 6125: accepted (SAN lync01.contoso.com)  "
                             "for lync01.contoso.com (SNI)";
    CHECK(line_after(lines, "client certificate #0: CN=*.contoso.com") == std::string(16, ' ') + um);
    CHECK(line_after(lines, "server certificate #0: CN=lync01.contoso.com") == std::string(16, ' ') + lync);
    CHECK(line_after(lines, "client certificate #1:").find("names:") == std::string::npos);  // a CA: no verdicts

    const auto summary = index_of(lines, "Summary");
    REQUIRE(summary < lines.size());
    CHECK(line_after(lines, "   client certificate: CN=*.contoso.com", summary) == "      " + um);
    CHECK(line_after(lines, "   server certificate: CN=lync01.contoso.com", summary) == "      " + lync);
}

TEST_CASE("[verdicts-text] --expect-peer names what the client certificate is checked for", "[verdicts-text]") {
    const auto lines = read_lines("--expect-peer um01.contoso.com");
    CHECK(line_after(lines, "client certificate #0: CN=*.contoso.com") ==
          std::string(16, ' ') + "names: Lync: refused (wildcard CN *.contoso.com)  RFC 6125: accepted (SAN *.contoso.com)  "
                                 "for um01.contoso.com (--expect-peer)");
}
