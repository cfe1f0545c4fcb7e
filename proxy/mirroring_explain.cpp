#include "proxy/mirroring_explain.hpp"

#include <openssl/objects.h>
#include <sstream>

#include "proxy/cert_forge.hpp"
#include "proxy/client_hello_mirror.hpp"
#include "proxy/resumption_cache.hpp"

namespace proxy {

namespace {

std::string copied_extension_names() {
    std::string out;
    for (const int nid : kCopiedExtensions) out += (out.empty() ? "" : ", ") + std::string(OBJ_nid2ln(nid));
    return out;
}

}  // namespace

std::string explain_mirroring() {
    std::ostringstream out;
    out << "What siptap proxy copies from each peer onto the other leg, and what it cannot.\n"
        << "\nThe client's ClientHello, onto the upstream leg (read before the upstream is connected):\n";
    for (const MirroredField& field : mirrored_hello_fields()) out << "  - " << field.name << ": " << field.how << '\n';
    out << "\nThe upstream's answer, onto the client leg:\n"
        << "  - the version, cipher suite, group and signature algorithm the upstream chose\n"
        << "  - a CertificateRequest only when the upstream sent one, with the upstream's CA names, all of them\n"
        << "\nCertificates (--forge-ca), each peer's onto the other leg:\n"
        << "  - the subject (attribute order and string types) and the validity (an expired one stays expired)\n"
        << "  - the key type and size (a fresh key: RSA-1024 stays RSA-1024, an EC key keeps its curve)\n"
        << "  - the signature digest (SHA-1 stays SHA-1; the signature is the forging CA's)\n"
        << "  - these extensions as they are:\n    " << copied_extension_names() << '\n'
        << "  - the issuer: the forge CA when the original chains to --trust (default: the system roots and the\n"
        << "    forge CA), else a throwaway CA that nobody trusts, so the far peer refuses it as it would the original\n"
        << "  - with --crl-listen: an original's CRL distribution point becomes siptap's URL of an empty CRL\n"
        << "    signed by the forging CA\n"
        << "\nAlerts and teardowns, both ways:\n"
        << "  - an alert of the upstream (protocol_version, handshake_failure, bad_certificate, unknown_ca ...)\n"
        << "    reaches the client; a client's failed handshake aborts the upstream's the same way\n"
        << "  - close_notify as close_notify, a bare FIN as a FIN, a reset as a reset\n"
        << "\nResumption (TLS 1.2):\n"
        << "  - by session id (as Schannel resumes) or ticket: a client resuming a session siptap gave it is\n"
        << "    resumed upstream with the session the upstream gave siptap; a ticket or session id is given to\n"
        << "    the client only where the upstream gave one; at most " << kResumptionCapacity << " sessions for "
        << kResumptionLifetime.count() << " s, in memory\n"
        << "\nNot mirrored:\n"
        << "  - TLS 1.3 PSK resumption and early data: siptap issues no TLS 1.3 tickets, such clients run full\n"
        << "    handshakes through it\n"
        << "  - renegotiation: refused with a no_renegotiation warning on the leg that asks, never relayed\n"
        << "  - cipher suites, signature algorithms and groups this OpenSSL lacks (a relay-mirror notice names\n"
        << "    them on the connection); a version list with gaps is offered as a range\n"
        << "  - the exact order of ClientHello extensions, GREASE values, the client random and session id, and\n"
        << "    extensions other than the ones above (OpenSSL writes its own)\n"
        << "  - in certificates: the key itself, the serial number, the issuer, AIA, and other extensions; CRL\n"
        << "    distribution points unless --crl-listen (a CRL its forging CA did not sign fails the check)\n";
    return out.str();
}

}  // namespace proxy
