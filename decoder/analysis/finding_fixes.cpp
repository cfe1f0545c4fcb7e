#include "decoder/analysis/finding_fixes.hpp"

#include <utility>

namespace decoder {

namespace {

// Only what the articles and settings named here say; where a fix depends on which side is
// Windows, both are named.
constexpr std::pair<std::string_view, std::string_view> kFixes[] = {
    {"wildcard-subject-cn",
     "Give the server a certificate whose subject CN is its own FQDN (not *.domain), e.g. for Exchange UM "
     "assign it with Enable-ExchangeCertificate -Services UM,UMCallRouter and restart the UM services: Lync "
     "and Skype for Business compare the subject CN, not the SANs, with the trusted server's FQDN."},
    {"cn-not-peer-fqdn",
     "Reissue the certificate with the subject CN set to the FQDN the peer has for this server (Lync's "
     "topology or trusted application pool, Exchange's UM dial plan / IP gateway), or correct that FQDN there."},
    {"san-ignored-by-lync",
     "Put the server's FQDN in the subject CN itself; Lync and Skype for Business do not accept a SAN match "
     "in place of the CN for server-to-server TLS."},
    {"cert-expired",
     "Renew the certificate, assign the new one to the service (Exchange: Enable-ExchangeCertificate; "
     "Lync/Skype for Business: Set-CsCertificate) and restart the service that presents it."},
    {"cert-not-yet-valid",
     "Check both servers' clocks and time source (w32tm /query /status), or wait until the certificate's "
     "start date before assigning it."},
    {"untrusted-issuer",
     "Import the issuing CA's root into the peer's Trusted Root Certification Authorities store and its "
     "intermediates into Intermediate Certification Authorities (Local Computer), or issue the certificate "
     "from a CA the peer already trusts."},
    {"self-signed",
     "Replace the self-signed certificate with one issued by a CA both servers trust (an internal AD CS CA "
     "will do); a self-signed certificate is trusted only where it has been imported by hand."},
    {"no-client-certificate",
     "Assign a certificate to the client's service for mutual TLS (Exchange UM: Enable-ExchangeCertificate "
     "-Services UM,UMCallRouter, and Set-UMService / Set-UMCallRouterService -UMStartupMode TLS or Dual); if "
     "the server's CertificateRequest is too long, see ca-list-too-long."},
    {"tls-alert",
     "The alert names the refusal; the other findings on this connection name its cause. On a Windows peer "
     "the System event log's Schannel events (36887 alert received, 36888 alert generated) give its side."},
    {"closed-after-request",
     "Make the closing side trust the sender: Lync/Skype for Business closes without answering a server it "
     "does not know (its log says \"The peer is not a configured server\"); the sender's certificate subject "
     "CN must be the FQDN in its topology, and for Exchange UM the integration run (ExchUcUtil.ps1) complete."},
    {"reset-by-peer",
     "Find what sent the reset: the peer's own logs, or a firewall or intrusion-prevention device between the "
     "two servers that resets TLS or SIP connections it does not like."},
    {"sip-error-response",
     "Look up the status with the ms-diagnostics finding next to it (when present), which names the failing "
     "server and reason; fix that server's configuration rather than retrying."},
    {"ms-diagnostics",
     "The code's meaning above names the cause; for certificate trust codes (e.g. 1010, CERT_E_CN_NO_MATCH) "
     "fix the certificate named in the other findings, for connection codes (1046) the route or firewall."},
    {"handshake-incomplete",
     "The handshake ended before it completed: the alert or close in the other findings says who stopped "
     "it; on a Windows peer look at the Schannel events (36874 no common cipher suite, 36887, 36888)."},
    {"tls-version-mismatch",
     "Enable TLS 1.2 on the older side rather than re-enabling old versions on the hardened one, as "
     "Microsoft's \"Exchange Server TLS guidance\" series describes (Schannel's TLS 1.2 Client and Server "
     "registry keys, .NET SystemDefaultTlsVersions); Server 2008 R2 also needs KB 3140245 for WinHTTP."},
    {"no-shared-cipher",
     "Give both sides a suite in common: on Windows the SSL Cipher Suite Order policy (Computer "
     "Configuration > Administrative Templates > Network > SSL Configuration Settings). Server 2008 R2 has "
     "no TLS_ECDHE_RSA_WITH_AES_*_GCM suites: a server talking to it must also allow a CBC suite it has, such "
     "as TLS_RSA_WITH_AES_128_CBC_SHA or TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA."},
    {"ca-list-too-long",
     "Remove the roots the server does not need from its Trusted Root Certification Authorities store "
     "(KB 2464556; KB 2801679 \"SSL/TLS communication problems after you install KB 931125\"; Schannel logs "
     "event 36885 when it truncates the list); SendTrustedIssuerList=0 stops the list on older Windows, but "
     "KB 2880390 says it does not help on Server 2012, which needs that article's update."},
    {"issuer-not-in-ca-list",
     "Import the client certificate's root CA into the server's Trusted Root Certification Authorities store "
     "(Local Computer), or issue the client's certificate from a CA the server already trusts."},
    {"weak-signature",
     "Reissue the certificate signed with SHA-256 and PKCS #1 v1.5; on an AD CS CA: certutil -setreg "
     "ca\\csp\\CNGHashAlgorithm SHA256 (and ca\\csp\\AlternateSignatureAlgorithm 0 to stop RSASSA-PSS), then "
     "restart the CA service."},
    {"weak-key",
     "Reissue the certificate with an RSA key of 2048 bits or more (the certificate template's minimum key "
     "size), then assign the new certificate to the service."},
    {"no-client-auth-eku",
     "Issue a certificate whose Extended Key Usage has both Server Authentication and Client Authentication "
     "(1.3.6.1.5.5.7.3.2), e.g. from an AD CS template, since public CAs stopped including Client "
     "Authentication."},
    {"um-redirect",
     "Nothing to fix: the call router handed the call to the UM worker. If calls still fail, the worker "
     "presents the UM certificate: it must name the FQDN the Contact gives."},
    {"um-redirect-not-followed",
     "Open TCP 5065 and 5067 (TLS; 5066 and 5068 for TCP) from the Lync/Skype for Business servers to every "
     "Exchange server, and make sure the FQDN in the 302's Contact resolves in DNS on those servers."},
};

}  // namespace

std::string_view finding_fix(std::string_view code) {
    for (const auto& [known, fix] : kFixes)
        if (known == code) return fix;
    return {};
}

}  // namespace decoder
