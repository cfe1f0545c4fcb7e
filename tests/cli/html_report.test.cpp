// `siptap read --html`: the report's structure (findings linked to evidence that exists,
// nothing external, wire text escaped) and, when Debian's chromium is installed, that it
// renders headless with the findings in the DOM; the screenshot is kept as an artifact.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "requirement_support.hpp"
#include "views_support.hpp"

namespace {

using views_test::quote;

// The report for the incident capture and the plaintext 504 capture (SIP with <sip:...>).
std::string write_report(const std::string& name) {
    const auto out = views_test::artifact_dir() + "/" + name;
    std::filesystem::remove(out);
    const auto run = views_test::run(quote(SIPTAP_BINARY) + " read --html " + quote(out) + " " +
                                     quote(SIPTAP_PCAP_DIR "/tls-wildcard-incident.pcapng") + " " +
                                     quote(SIPTAP_PCAP_DIR "/sip-options-504-ms-diagnostics.pcap") +
                                     " >/dev/null 2>&1");
    REQUIRE(run.exit_code == 1);  // error findings
    return out;
}

std::multiset<std::string> matches(const std::string& text, const std::regex& re) {
    std::multiset<std::string> out;
    for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) out.insert((*it)[1].str());
    return out;
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

// The same captures (pcaps/NAME.pcapng) read three ways: the HTML report, the text and the JSON.
struct ThreeViews {
    std::string html, text, json;
};

ThreeViews read_three_ways(const std::vector<std::string>& names, const std::string& report) {
    std::string files;
    for (const auto& name : names) files += quote(std::string(SIPTAP_PCAP_DIR "/") + name + ".pcapng") + " ";
    const auto out = views_test::artifact_dir() + "/" + report;
    std::filesystem::remove(out);
    const auto html_run = views_test::run(quote(SIPTAP_BINARY) + " read --html " + quote(out) + " " + files + " 2>/dev/null");
    const auto text = views_test::run("COLUMNS=200 " + quote(SIPTAP_BINARY) + " read --no-color " + files + " 2>/dev/null");
    const auto json = views_test::run(quote(SIPTAP_BINARY) + " read --json " + files + " 2>/dev/null");
    CHECK(html_run.exit_code == 1);  // error findings in each
    CHECK(text.exit_code == 1);
    CHECK(json.exit_code == 1);
    return {views_test::slurp(out), text.out, json.out};
}

}  // namespace

TEST_CASE("[html] report structure for the incident", "[html]") {
    const auto html = views_test::slurp(write_report("incident-report.html"));
    REQUIRE(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(html.find("</html>") != std::string::npos);

    SECTION("findings come first and link to evidence that exists, ids are unique") {
        const auto findings = html.find("id=\"findings\"");
        REQUIRE(findings != std::string::npos);
        CHECK(findings < html.find("class=\"conn\""));
        for (const char* code : {"wildcard-subject-cn", "closed-after-request", "ms-diagnostics", "san-ignored-by-lync"}) {
            CAPTURE(code);
            CHECK(html.find("<code>" + std::string(code) + "</code>") != std::string::npos);
        }
        const auto ids = matches(html, std::regex(R"re(\bid="([^"]+)")re"));
        for (const auto& id : ids) {
            CAPTURE(id);
            CHECK(ids.count(id) == 1);
        }
        const auto links = matches(html, std::regex(R"re(href="#([^"]+)")re"));
        CHECK(links.size() > 10);
        for (const auto& link : links) {
            CAPTURE(link);
            CHECK(ids.count(link) == 1);
        }
        const auto evidence = matches(html, std::regex(R"re(class="evidence">Evidence: <a href="#([^"]+)")re"));
        CHECK(evidence.size() >= 4);
    }
    SECTION("self-contained: nothing fetched from anywhere") {
        CHECK(html.find("http:") == std::string::npos);
        CHECK(html.find("https:") == std::string::npos);
        CHECK(html.find("src=") == std::string::npos);
        CHECK(html.find("<link") == std::string::npos);
        CHECK(html.find("@import") == std::string::npos);
        CHECK(html.find("<style>") != std::string::npos);
        CHECK(html.find("<svg class=\"ladder\"") != std::string::npos);
    }
    SECTION("text from the wire is escaped; each SIP message expands to its raw text") {
        CHECK(html.find("<sip:") == std::string::npos);
        CHECK(html.find("&lt;sip:exch01.contoso.com") != std::string::npos);
        CHECK(count(html, "<details class=\"sip\">") == 2);
        CHECK(html.find("USER-AGENT: RTCC/4.0.0.0 MSExchangeUM/14.0") != std::string::npos);
        CHECK(html.find("ms-diagnostics: 1010;reason=&quot;Certificate trust") != std::string::npos);
    }
    SECTION("the wildcard certificate card shows the problem") {
        const auto card = html.find("<div class=\"card bad\"");
        REQUIRE(card != std::string::npos);
        const auto end = html.find("</div>", card);
        const auto body = html.substr(card, end - card);
        CHECK(body.find("client certificate #0") != std::string::npos);
        CHECK(body.find("<dd class=\"hl\">*.contoso.com</dd>") != std::string::npos);
        CHECK(body.find("exch01.contoso.com") != std::string::npos);  // the SAN that does not help
    }
    SECTION("each leaf card shows Lync's and RFC 6125's verdicts side by side, with reasons") {
        CHECK(count(html, "<div class=\"verdicts\">") == 2);  // two leaves; CA certificates get none
        const auto um = html.find("client certificate #0 (leaf)");
        REQUIRE(um != std::string::npos);
        const auto um_verdicts = html.substr(html.find("<div class=\"verdicts\">", um), 700);
        CAPTURE(um_verdicts);
        CHECK(um_verdicts.find("Name checks for exch01.contoso.com (its own SAN: the verdicts judge the form only)") !=
              std::string::npos);
        CHECK(um_verdicts.find("<div class=\"verdict refused\"><span class=\"who\">Lync / Skype for Business</span>"
                               "<span class=\"word\">refused</span><p>the subject CN *.contoso.com is a wildcard, which "
                               "Lync never accepts for a server</p></div>") != std::string::npos);
        CHECK(um_verdicts.find("<div class=\"verdict accepted\"><span class=\"who\">RFC 6125 (browsers, TLS clients)</span>"
                               "<span class=\"word\">accepted</span><p>the SAN *.contoso.com matches exch01.contoso.com</p>"
                               "</div>") != std::string::npos);
        const auto lync = html.find("server certificate #0 (leaf)");
        REQUIRE(lync != std::string::npos);
        const auto lync_verdicts = html.substr(html.find("<div class=\"verdicts\">", lync), 700);
        CAPTURE(lync_verdicts);
        CHECK(lync_verdicts.find("Name checks for lync01.contoso.com (SNI)") != std::string::npos);
        CHECK(count(lync_verdicts.substr(0, lync_verdicts.find("</div></div>")), "<span class=\"word\">accepted</span>") == 2);
    }
}

TEST_CASE("[html] the report renders in headless Chromium", "[html]") {
    const std::string chromium = "/usr/bin/chromium";
    test::require_available("chromium", std::filesystem::exists(chromium),
                            chromium + ": apt-get install -y chromium (tools/bootstrap.sh does)");
    const auto report = write_report("incident-report-rendered.html");
    const auto profile = views_test::run("mktemp -d").out;
    REQUIRE(!profile.empty());
    const std::string flags = " --headless --no-sandbox --disable-gpu --disable-background-networking "
                              "--disable-component-update --disable-sync --no-first-run --user-data-dir=" +
                              quote(profile.substr(0, profile.find('\n'))) + " ";
    const auto dom = views_test::run(chromium + flags + "--dump-dom " + quote("file://" + report) + " 2>/dev/null", 90);
    REQUIRE(dom.exit_code == 0);
    CHECK(dom.out.find("<code>wildcard-subject-cn</code>") != std::string::npos);
    CHECK(dom.out.find("<code>closed-after-request</code>") != std::string::npos);
    CHECK(dom.out.find("Connection #1") != std::string::npos);
    CHECK(dom.out.find("<svg class=\"ladder\"") != std::string::npos);
    CHECK(dom.out.find("<span class=\"word\">refused</span><p>the subject CN *.contoso.com is a wildcard") != std::string::npos);

    const auto png = views_test::artifact_dir() + "/incident-report.png";
    std::filesystem::remove(png);
    const auto shot = views_test::run(chromium + flags + "--window-size=1100,1800 --screenshot=" + quote(png) + " " +
                                          quote("file://" + report) + " >/dev/null 2>&1",
                                      90);
    CHECK(shot.exit_code == 0);
    REQUIRE(std::filesystem::exists(png));
    CHECK(std::filesystem::file_size(png) > 20000);  // a rendered page, not a blank one
    WARN("screenshot kept at " << png);
    views_test::run("rm -rf " + quote(profile.substr(0, profile.find('\n'))));
}

TEST_CASE("[html] Windows peers' refusals are named in the report, the text and the JSON", "[html]") {
    const auto [html, text, json] =
        read_three_ways({"tls10-client-tls12-server", "tls12-no-shared-cipher", "tls13-good-server-fin"},
                        "windows-refusals.html");
    for (const char* code : {"tls-version-mismatch", "no-shared-cipher"}) {
        CAPTURE(code);
        CHECK(count(html, "<code>" + std::string(code) + "</code>") == 1);
        CHECK(count(text, std::string("ERROR ") + code) >= 1);
        CHECK(count(json, std::string("\"code\":\"") + code + "\"") == 1);
    }
    CHECK(html.find("Enable TLS 1.2 on the client") != std::string::npos);
    // The healthy TLS 1.3 session: the client's goodbye, no error pinned on the server.
    CHECK(text.find("(client) with alert (encrypted alert (probably close_notify))") != std::string::npos);
    CHECK(count(json, "\"code\":\"closed-after-request\"") == 0);
}

TEST_CASE("[html] Windows peers' certificate findings are named in the report, the text and the JSON", "[html]") {
    const auto [html, text, json] =
        read_three_ways({"tls12-ca-list-too-long-no-cert", "tls12-client-sha1-rsa1024", "tls12-client-pss-signature",
                         "tls12-client-no-clientauth-eku", "tls-untrusted-ca", "tls12-ca-list-too-long"},
                        "windows-certificates.html");
    // code, how often it is raised over these captures, its severity in the text
    for (const auto& [code, times, severity] : std::vector<std::tuple<std::string, std::size_t, std::string>>{
             {"ca-list-too-long", 2, "ERROR"}, {"weak-signature", 2, "ERROR"}, {"weak-key", 1, "WARNING"},
             {"no-client-auth-eku", 1, "ERROR"}, {"issuer-not-in-ca-list", 1, "WARNING"}}) {
        CAPTURE(code);
        CHECK(count(html, "<code>" + code + "</code>") == times);
        CHECK(count(text, severity + " " + code) >= 1);
        CHECK(count(json, "\"code\":\"" + code + "\"") == times);
    }
    CHECK(count(text, "WARNING ca-list-too-long: ") == 1);  // the client that sent a listed chain
    CHECK(html.find("KB 2464556") != std::string::npos);
    CHECK(count(json, "\"signature_algorithm\":\"sha1WithRSAEncryption\"") == 1);
    CHECK(count(json, "\"eku\":[\"serverAuth\"]") == 1);
}

TEST_CASE("[html] the UM call router's redirect is linked to the connection that followed, or named missing", "[html]") {
    const auto [html, text, json] =
        read_three_ways({"tls-um-redirect", "tls-um-redirect-not-followed"}, "um-redirect.html");
    // Followed: conn #1's 302, conn #2 to the worker, linked by its SNI, its certificate beside.
    CHECK(count(html, "<code>um-redirect</code>") == 1);
    CHECK(count(html, "<code>um-redirect-not-followed</code>") == 1);
    CHECK(html.find("&rarr; <a href=\"#conn-2\">connection #2</a> (linked by sni)") != std::string::npos);
    CHECK(html.find("Redirected here by the UM call router on <a href=\"#conn-1\">connection #1</a>") !=
          std::string::npos);
    CHECK(html.find("no connection to it followed in this capture") != std::string::npos);
    CHECK(count(html, "<div class=\"card bad\"") == 0);  // the worker's certificate is shown, not blamed
    CHECK(html.find("What would fix it:</b> Open TCP 5065 and 5067") != std::string::npos);
    CHECK(text.find("redirect: to the UM worker exch01.contoso.com:5065 (tls) -> #2 (linked by sni), server "
                    "certificate CN=exch01.contoso.com,O=Contoso,C=US; SIP answered with 200 OK (CSeq 2 INVITE)") !=
          std::string::npos);
    CHECK(text.find("redirected here from #1 (UM call router 127.0.0.3:5061)") != std::string::npos);
    CHECK(text.find("redirect: to the UM worker 127.0.0.4:5065 (tls) — NOT FOLLOWED") != std::string::npos);
    CHECK(count(text, "ERROR um-redirect-not-followed") >= 1);
    CHECK(count(json, "\"redirect\":{\"conn\":2,\"linked_by\":\"sni\"") == 1);
    CHECK(count(json, "\"redirect\":{\"to\":\"127.0.0.4:5065\",\"transport\":\"tls\"}") == 1);
}

TEST_CASE("[html] every finding in the report says what would fix it", "[html]") {
    const auto [html, text, json] =
        read_three_ways({"tls12-ca-list-too-long-no-cert", "tls12-client-sha1-rsa1024", "tls10-client-tls12-server",
                         "tls-untrusted-ca"},
                        "fix-lines.html");
    const auto findings = count(html, "<div class=\"finding ");
    CHECK(findings >= 8);
    CHECK(count(html, "<p class=\"fix\"><b>What would fix it:</b> ") == findings);
    CHECK(html.find("KB 2801679") != std::string::npos);
    CHECK(html.find("KB 3140245") != std::string::npos);
    CHECK(html.find("http:") == std::string::npos);  // articles named, never linked
    CHECK(html.find("https:") == std::string::npos);
}
