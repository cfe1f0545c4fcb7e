// The rules that read a server's refusal of a ClientHello: no TLS version or no cipher suite
// in common. Without a ServerHello the capture shows only what the client offered, so the
// messages name that and never a server version the capture does not show.
#include <algorithm>

#include "decoder/analysis/diagnosis_rules.hpp"
#include "decoder/base/text_util.hpp"

namespace decoder {

namespace {

constexpr std::size_t kMaxSuitesNamed = 12;

// "TLS 1.0" < "TLS 1.1" < ... as text, and "SSL 3.0" before all of them.
bool is_version(const std::string& v) { return v.rfind("TLS 1.", 0) == 0 || v.rfind("SSL ", 0) == 0; }

std::string suites(const std::vector<std::string>& offered) {
    std::vector<std::string> shown(offered.begin(), offered.begin() + std::min(offered.size(), kMaxSuitesNamed));
    std::string text = join(shown);
    if (offered.size() > shown.size()) text += " and " + std::to_string(offered.size() - shown.size()) + " more";
    return text;
}

}  // namespace

std::string highest_offered_version(const TlsMessage& hello) {
    std::string best = is_version(hello.version) ? hello.version : std::string();
    for (const auto& v : hello.supported_versions)
        if (is_version(v) && v > best) best = v;
    return best;
}

std::optional<FindingDraft> check_refused_hello(const TlsMessage& hello, const HelloRefusal& refusal,
                                                const Endpoint& client, const Endpoint& server) {
    const std::string highest = highest_offered_version(hello);
    const std::string who = named(server, Side::Server) + " refused the ClientHello of " + named(client, Side::Client);
    const bool closed = refusal.close == CloseHow::Fin || refusal.close == CloseHow::Rst;
    if (refusal.alert == AlertDescription::ProtocolVersion || (closed && !highest.empty() && highest < "TLS 1.2")) {
        const bool client_older = !highest.empty() && highest < "TLS 1.2";
        std::string msg = who + ", whose highest TLS version is " + (highest.empty() ? "not shown" : highest) +
                          (closed ? ", by closing the connection (" + std::string(to_string(*refusal.close)) + ") before any ServerHello"
                                  : ", with the fatal alert protocol_version") +
                          ": the two sides have no TLS version in common. ";
        msg += client_older
                   ? "Enable TLS 1.2 on the client: on Windows Server 2008 R2 / Exchange 2010 install the TLS 1.2 "
                     "update and turn TLS 1.2 on in Schannel (Protocols\\TLS 1.2\\Client and Server) and in .NET "
                     "(SchUseStrongCrypto), as Microsoft's \"Exchange Server TLS guidance\" describes; Skype for "
                     "Business servers as in \"Enable TLS 1.2 for Skype for Business Server\"."
                   : "The capture does not show which versions the server accepts; if it is the older side, enable "
                     "TLS 1.2 on it (Schannel Protocols\\TLS 1.2\\Server, Microsoft's \"Exchange Server TLS "
                     "guidance\" and \"Enable TLS 1.2 for Skype for Business Server\").";
        return FindingDraft{Severity::Error, "tls-version-mismatch", msg};
    }
    if (refusal.alert == AlertDescription::HandshakeFailure)
        return FindingDraft{Severity::Error, "no-shared-cipher",
                            who + " with the fatal alert handshake_failure before any ServerHello: most often no "
                                  "cipher suite in common. The client offered " +
                                std::to_string(hello.ciphers.size()) + " suites" +
                                (hello.ciphers.empty() ? std::string() : ": " + suites(hello.ciphers)) +
                                (highest.empty() ? std::string() : ", up to " + highest) +
                                ". Enable a suite on one side that the other offers (Windows Server 2008 R2 "
                                "puts TLS_RSA_WITH_AES_128_CBC_SHA first; hardened servers allow only ECDHE "
                                "suites): the Schannel cipher suite order policy sets them."};
    return std::nullopt;
}

}  // namespace decoder
