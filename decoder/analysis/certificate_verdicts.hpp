// The two name verdicts (name_verdicts.hpp) for a presented leaf certificate, against the
// name that certificate is expected to carry. The reference name, in this order:
//  1. the client's certificate: `--expect-peer NAME` (the FQDN Lync expects of the connecting
//     server, as the diagnosis uses it);
//  2. the server's certificate: the SNI of the connection's ClientHello (the name the client
//     asked for);
//  3. otherwise the certificate's own first DNS SAN that is a host name, else its CN if that is
//     one, else its first IP SAN. That is the name it presents, so the verdicts then judge the
//     form only: a wildcard or missing CN, a CN that no SAN repeats.
// CA certificates of the chain carry no host name and get no verdicts.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "decoder/model/events.hpp"
#include "decoder/analysis/name_verdicts.hpp"

namespace decoder {

struct ReferenceName {
    std::string name;    // empty when the certificate names no host at all
    std::string source;  // "--expect-peer", "SNI", "its own SAN", "its own CN", "its own IP SAN"
    bool presented() const { return source.starts_with("its own"); }
};

struct CertificateVerdicts {
    ReferenceName reference;
    NameVerdict lync, rfc6125;
};

ReferenceName reference_name(const Certificate& cert, std::string_view expect_peer, std::string_view sni);
CertificateVerdicts certificate_verdicts(const Certificate& cert, std::string_view expect_peer, std::string_view sni);

// "for exch01.contoso.com (its own SAN: form only)  Lync: refused (wildcard CN *.contoso.com)
//  RFC 6125: accepted (SAN *.contoso.com)" on one line.
std::string verdicts_line(const CertificateVerdicts& verdicts);
// "for exch01.contoso.com (its own SAN: the verdicts judge the form only)"
std::string reference_phrase(const ReferenceName& reference);

// Follows each connection's SNI so a sink can judge a leaf certificate when it arrives.
class VerdictNames {
public:
    explicit VerdictNames(std::string expect_peer) : expect_peer_(std::move(expect_peer)) {}
    // Notes the SNI of a ClientHello; forgets the connection when it closes.
    void on_event(const Event& event);
    // The verdicts for a leaf certificate event; nullopt for anything else.
    std::optional<CertificateVerdicts> verdicts(const Event& event) const;

private:
    std::string expect_peer_;
    std::map<std::uint64_t, std::string> sni_;  // open connections only, so bounded by them
};

}  // namespace decoder
