// Which name a certificate's two verdicts are given for (--expect-peer, SNI, else its own
// host name, judging the form only), the one-line form, and the per-connection SNI tracking.
#include <catch2/catch.hpp>

#include "decoder/analysis/certificate_verdicts.hpp"

using namespace decoder;

namespace {

Certificate cert(Side side, std::string cn, std::vector<std::string> san, std::vector<std::string> san_ip = {}) {
    Certificate c;
    c.side = side;
    c.subject_cn = std::move(cn);
    c.san = std::move(san);
    c.san_ip = std::move(san_ip);
    return c;
}

const auto kClient = Side::Client;
const auto kServer = Side::Server;

}  // namespace

TEST_CASE("[verdicts] the reference name and where it comes from", "[verdicts]") {
    using Row = std::tuple<std::string, Certificate, std::string, std::string, std::string, std::string>;
    auto [label, c, expect, sni, name, source] = GENERATE(table<std::string, Certificate, std::string, std::string, std::string, std::string>({
        Row{"client with --expect-peer", cert(kClient, "*.contoso.com", {"exch01.contoso.com"}), "um01.contoso.com", "lync01.contoso.com",
            "um01.contoso.com", "--expect-peer"},
        Row{"--expect-peer is about the client, not the server", cert(kServer, "lync01.contoso.com", {}), "um01.contoso.com",
            "lync01.contoso.com", "lync01.contoso.com", "SNI"},
        Row{"server without SNI: its own first host SAN", cert(kServer, "Lync FE", {"*.contoso.com", "lync01.contoso.com"}), "", "",
            "lync01.contoso.com", "its own SAN"},
        Row{"client without --expect-peer: the SNI is not its name", cert(kClient, "*.contoso.com", {"*.contoso.com", "exch01.contoso.com"}),
            "", "lync01.contoso.com", "exch01.contoso.com", "its own SAN"},
        Row{"no SAN: the CN when it is a host name", cert(kClient, "exch01.contoso.com", {}), "", "", "exch01.contoso.com", "its own CN"},
        Row{"a friendly CN is not a host name; the IP SAN then", cert(kClient, "Exchange UM", {}, {"10.0.0.2"}), "", "", "10.0.0.2",
            "its own IP SAN"},
        Row{"nothing but wildcards: no name", cert(kClient, "*.contoso.com", {"*.contoso.com"}), "", "", "", ""},
    }));
    CAPTURE(label);
    const auto r = reference_name(c, expect, sni);
    CHECK(r.name == name);
    CHECK(r.source == source);
    CHECK(r.presented() == source.starts_with("its own"));
}

TEST_CASE("[verdicts] one line for the text output", "[verdicts]") {
    const auto um = cert(kClient, "*.contoso.com", {"*.contoso.com", "exch01.contoso.com"});
    CHECK(verdicts_line(certificate_verdicts(um, "", "")) ==
          "Lync: refused (wildcard CN *.contoso.com)  RFC 6125: accepted (SAN *.contoso.com)  "
          "for exch01.contoso.com (its own SAN: the verdicts judge the form only)");
    CHECK(verdicts_line(certificate_verdicts(cert(kClient, "Exchange UM", {"um01.contoso.com"}), "um01.contoso.com", "")) ==
          "Lync: refused (CN Exchange UM is not um01.contoso.com, SAN ignored)  RFC 6125: accepted (SAN um01.contoso.com)  "
          "for um01.contoso.com (--expect-peer)");
    SECTION("no host name at all: Lync's verdict on the form stands; RFC 6125 on the wildcard's reach") {
        const auto v = certificate_verdicts(cert(kClient, "*.contoso.com", {"*.contoso.com"}), "", "");
        CHECK_FALSE(v.lync.accepted);
        CHECK(v.rfc6125.accepted);
        CHECK(v.rfc6125.reason == "no host name to check; the SAN *.contoso.com covers any single label under contoso.com");
        CHECK(reference_phrase(v.reference) == "no host name to check against");
        const auto bare = certificate_verdicts(cert(kClient, "Exchange UM", {}), "", "");
        CHECK_FALSE(bare.lync.accepted);
        CHECK(bare.lync.brief == "CN Exchange UM is not an FQDN");
        CHECK_FALSE(bare.rfc6125.accepted);
    }
}

TEST_CASE("[verdicts] SNI per connection, leaf certificates only", "[verdicts]") {
    VerdictNames names("");
    const auto ev = [](std::uint64_t conn, Payload p) {
        Event e;
        e.conn = conn;
        e.payload = std::move(p);
        return e;
    };
    TlsMessage hello;
    hello.type = "client_hello";
    hello.sni = "lync01.contoso.com";
    names.on_event(ev(1, hello));
    const auto server = cert(kServer, "lync01.contoso.com", {"lync01.contoso.com"});
    auto ca = server;
    ca.index = 1;
    REQUIRE(names.verdicts(ev(1, server)));
    CHECK(names.verdicts(ev(1, server))->reference.source == "SNI");
    CHECK(names.verdicts(ev(2, server))->reference.source == "its own SAN");  // another connection
    CHECK_FALSE(names.verdicts(ev(1, ca)));
    CHECK_FALSE(names.verdicts(ev(1, hello)));
    names.on_event(ev(1, ConnClose{}));
    CHECK(names.verdicts(ev(1, server))->reference.source == "its own SAN");  // forgotten at the close
}
