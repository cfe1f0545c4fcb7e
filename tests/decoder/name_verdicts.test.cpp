#include <catch2/catch.hpp>

#include "decoder/analysis/name_verdicts.hpp"

using namespace decoder;

namespace {

Certificate cert(std::string cn, std::vector<std::string> san, std::vector<std::string> san_ip = {}) {
    Certificate c;
    c.subject_cn = std::move(cn);
    c.san = std::move(san);
    c.san_ip = std::move(san_ip);
    return c;
}

}  // namespace

TEST_CASE("[verdicts] Lync and RFC 6125 side by side", "[verdicts]") {
    using Row = std::tuple<std::string, Certificate, std::string, bool, bool>;
    auto [label, c, name, lync, rfc] = GENERATE(table<std::string, Certificate, std::string, bool, bool>({
        Row{"CN is the FQDN", cert("um01.contoso.com", {"um01.contoso.com"}), "um01.contoso.com", true, true},
        Row{"case and trailing dot", cert("UM01.Contoso.COM.", {"um01.contoso.com."}), "um01.contoso.com", true, true},
        Row{"the incident: wildcard CN, SAN names the host", cert("*.contoso.com", {"*.contoso.com", "um01.contoso.com"}),
            "um01.contoso.com", false, true},
        Row{"wildcard SAN only", cert("*.contoso.com", {"*.contoso.com"}), "um01.contoso.com", false, true},
        Row{"SAN-only certificate with a friendly CN", cert("Exchange UM", {"um01.contoso.com"}), "um01.contoso.com", false, true},
        Row{"CN matches but the SANs do not (RFC 6125 ignores the CN)", cert("um01.contoso.com", {"mail.contoso.com"}),
            "um01.contoso.com", true, false},
        Row{"no SANs: RFC 6125 falls back to the CN", cert("um01.contoso.com", {}), "um01.contoso.com", true, true},
        Row{"wildcard covers one label only", cert("x", {"*.contoso.com"}), "a.b.contoso.com", false, false},
        Row{"wildcard does not cover the bare domain", cert("x", {"*.contoso.com"}), "contoso.com", false, false},
        Row{"no wildcard over a public suffix", cert("x", {"*.com"}), "contoso.com", false, false},
        Row{"partial-label wildcard refused", cert("x", {"um*.contoso.com"}), "um01.contoso.com", false, false},
        Row{"no wildcard over an IDN A-label", cert("x", {"*.contoso.com"}), "xn--mnchen-3ya.contoso.com", false, false},
        Row{"IDN A-label matched exactly", cert("xn--mnchen-3ya.contoso.com", {"xn--mnchen-3ya.contoso.com"}),
            "xn--mnchen-3ya.contoso.com", true, true},
        Row{"IP SAN", cert("10.0.0.2", {"um01.contoso.com"}, {"10.0.0.2"}), "10.0.0.2", true, true},
        Row{"IP only in a DNS SAN does not count", cert("um01", {"10.0.0.2"}), "10.0.0.2", false, false},
        Row{"IPv6 SAN in another spelling", cert("x", {}, {"2001:db8::10"}), "2001:0db8:0:0:0:0:0:10", false, true},
        Row{"wildcard CN and no SANs: RFC 6125 falls back to the CN", cert("*.contoso.com", {}), "um01.contoso.com", false, true},
        Row{"wildcard SAN matched without regard to case", cert("x", {"*.CONTOSO.com"}), "Um01.Contoso.COM", false, true},
        Row{"trailing dot on the reference name only", cert("um01.contoso.com", {"um01.contoso.com"}), "um01.contoso.com.",
            true, true},
        Row{"trailing dot on a wildcard SAN", cert("x", {"*.contoso.com."}), "um01.contoso.com", false, true},
        Row{"wildcard in a middle label refused", cert("x", {"um01.*.com"}), "um01.contoso.com", false, false},
        Row{"no wildcard over a U-label (raw UTF-8)", cert("x", {"*.contoso.com"}), "m\xc3\xbcnchen.contoso.com", false, false},
        Row{"U-label matched exactly, ASCII case ignored", cert("m\xc3\xbcnchen.contoso.com", {"m\xc3\xbcnchen.contoso.com"}),
            "m\xc3\xbcnchen.CONTOSO.com", true, true},
        Row{"IP in the CN only: Lync compares text, RFC 6125 wants an IP SAN", cert("10.0.0.2", {}), "10.0.0.2", true, false},
        Row{"IPv4 SAN for another address", cert("x", {}, {"10.0.0.3"}), "10.0.0.2", false, false},
        Row{"no subject CN at all, SAN matches", cert("", {"um01.contoso.com"}), "um01.contoso.com", false, true},
    }));
    CAPTURE(label);
    const auto l = lync_verdict(c, name);
    const auto r = rfc6125_verdict(c, name);
    CHECK(l.accepted == lync);
    CHECK(r.accepted == rfc);
    CHECK_FALSE(l.reason.empty());
    CHECK_FALSE(r.reason.empty());
    CHECK_FALSE(l.brief.empty());
    CHECK_FALSE(r.brief.empty());
}

TEST_CASE("[verdicts] the reasons say which field decided", "[verdicts]") {
    const auto incident = cert("*.contoso.com", {"*.contoso.com", "um01.contoso.com"});
    CHECK_THAT(lync_verdict(incident, "um01.contoso.com").reason, Catch::Contains("wildcard"));
    CHECK(rfc6125_verdict(incident, "um01.contoso.com").reason == "the SAN *.contoso.com matches um01.contoso.com");
    const auto friendly = cert("Exchange UM", {"um01.contoso.com"});
    CHECK_THAT(lync_verdict(friendly, "um01.contoso.com").reason, Catch::Contains("a SAN matches, but Lync ignores SANs"));
    CHECK(lync_verdict(incident, "um01.contoso.com").brief == "wildcard CN *.contoso.com");
    CHECK(rfc6125_verdict(incident, "um01.contoso.com").brief == "SAN *.contoso.com");
    CHECK(lync_verdict(friendly, "um01.contoso.com").brief == "CN Exchange UM is not um01.contoso.com, SAN ignored");
    CHECK(rfc6125_verdict(cert("x", {}, {"10.0.0.3"}), "10.0.0.2").brief == "no IP SAN is 10.0.0.2");
}
