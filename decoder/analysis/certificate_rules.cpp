// The rules that judge a certificate by what Windows peers accept rather than by its names:
// the CertificateRequest's trusted-issuer list (its size against Schannel's 16 KB, and whether
// the client's chain answers it), weak signatures and keys, and a client certificate without
// the Client Authentication purpose.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "decoder/analysis/diagnosis_rules.hpp"
#include "decoder/base/text_util.hpp"

namespace decoder {

namespace {

// "The client 127.0.0.2:5000 presented the certificate CN=x,O=y (its leaf)"
std::string presented(const Certificate& c, const Endpoint& owner) {
    return "The " + std::string(to_string(c.side)) + " " + owner.to_string() + " presented the certificate " +
           c.subject + (c.index == 0 ? " (its leaf)" : " (#" + std::to_string(c.index) + " in its chain)");
}

// The weakness of a signature algorithm name, or "" when it is sound.
std::string signature_weakness(std::string_view algorithm) {
    const auto a = lower(algorithm);
    if (a.find("md5") != std::string::npos || a.find("md2") != std::string::npos ||
        a.find("md4") != std::string::npos)
        return "MD5";
    if (a.find("sha1") != std::string::npos) return "SHA-1";
    if (a.find("pss") != std::string::npos) return "RSASSA-PSS";
    return {};
}

}  // namespace

std::optional<FindingDraft> check_weak_signature(const Certificate& c, const Endpoint& owner,
                                                 const Endpoint& peer, std::string_view refusal) {
    // A self-signed root's own signature is never checked by Schannel or OpenSSL.
    if (c.self_signed) return std::nullopt;
    const std::string weakness = signature_weakness(c.signature_algorithm);
    if (weakness.empty()) return std::nullopt;
    std::string msg = presented(c, owner) + ", signed with " + c.signature_algorithm + " (" + weakness + ") by " +
                      c.issuer + ". ";
    msg += weakness == "RSASSA-PSS"
               ? "Lync Server 2013 cannot verify RSASSA-PSS certificate signatures; reissue it with a PKCS #1 "
                 "v1.5 SHA-256 signature (on an AD CS CA: AlternateSignatureAlgorithm=0)."
               : "Current Windows, Lync/Skype for Business and OpenSSL peers refuse " + weakness +
                     " certificate signatures; reissue it signed with SHA-256 (on an AD CS CA: set its hash "
                     "algorithm to SHA256).";
    const auto other = c.side == Side::Client ? Side::Server : Side::Client;
    if (!refusal.empty())
        msg += " " + named(peer, other) + " then refused it with the fatal alert " + std::string(refusal) + ".";
    return FindingDraft{refusal.empty() ? Severity::Warning : Severity::Error, "weak-signature", msg};
}

std::optional<FindingDraft> check_weak_key(const Certificate& c, const Endpoint& owner) {
    const bool rsa = c.key.starts_with("RSA-");
    const auto dash = c.key.rfind('-');
    const int bits = rsa ? std::atoi(c.key.c_str() + dash + 1) : 0;
    if (!rsa || bits <= 0 || bits >= 2048) return std::nullopt;
    return FindingDraft{Severity::Warning, "weak-key",
                        presented(c, owner) + " with an RSA key of " + std::to_string(bits) +
                            " bits; peers at current security levels (OpenSSL's default, hardened Windows "
                            "servers) refuse RSA keys under 2048 bits: reissue it with RSA-2048 or more."};
}

std::optional<FindingDraft> check_client_auth_eku(const Certificate& leaf, const Endpoint& client,
                                                  const Endpoint& server) {
    if (leaf.side != Side::Client || leaf.index != 0 || !leaf.eku) return std::nullopt;
    const auto& eku = *leaf.eku;
    if (std::find(eku.begin(), eku.end(), "clientAuth") != eku.end() ||
        std::find(eku.begin(), eku.end(), "anyExtendedKeyUsage") != eku.end())
        return std::nullopt;
    return FindingDraft{
        Severity::Error, "no-client-auth-eku",
        presented(leaf, client) + " to " + named(server, Side::Server) +
            " for mutual TLS, but its Extended Key Usage (" + (eku.empty() ? "empty" : join(eku)) +
            ") lacks Client Authentication, so the server may refuse it as a client certificate. Public CAs "
            "stopped including Client Authentication in 2025-2026; issue the certificate from a CA (e.g. the "
            "internal AD CS) whose template has both Server and Client Authentication."};
}

std::optional<std::size_t> listed_issuer_position(const std::vector<Certificate>& chain,
                                                  const std::vector<std::string>& ca_names) {
    const auto answers = [&](const std::string& name) {
        return std::any_of(chain.begin(), chain.end(),
                           [&](const Certificate& c) { return c.issuer == name || c.subject == name; });
    };
    const auto it = std::find_if(ca_names.begin(), ca_names.end(), answers);
    if (it == ca_names.end()) return std::nullopt;
    return static_cast<std::size_t>(it - ca_names.begin());
}

bool chain_issuer_listed(const std::vector<Certificate>& chain, const std::vector<std::string>& ca_names) {
    return listed_issuer_position(chain, ca_names).has_value();
}

std::optional<FindingDraft> check_issuer_in_ca_list(const std::vector<Certificate>& chain,
                                                    const TlsMessage& request, const Endpoint& client,
                                                    const Endpoint& server) {
    if (chain.empty() || request.ca_names.empty() || chain_issuer_listed(chain, request.ca_names))
        return std::nullopt;
    return FindingDraft{
        Severity::Warning, "issuer-not-in-ca-list",
        named(server, Side::Server) + " asked for a client certificate issued by one of " +
            std::to_string(request.ca_names.size()) + " CAs, but the chain of " + named(client, Side::Client) +
            ", whose leaf " + chain.front().subject + " was issued by " + chain.front().issuer +
            ", names none of them: the server will not trust it unless that CA is in its Trusted Root store. "
            "Issue the client's certificate from a CA the server trusts, or add its root there."};
}

namespace {

// Where the name answering the client's chain lies against Schannel's cut, or "" when unknown.
std::string cut_position(const TlsMessage& request, std::optional<std::size_t> position) {
    if (!position || !request.ca_names_within_limit || *position >= request.ca_names.size()) return {};
    const auto within = *request.ca_names_within_limit;
    const std::string which = "Its issuer " + request.ca_names[*position] + " is name " +
                              std::to_string(*position + 1) + " of " + std::to_string(request.ca_names.size()) +
                              ", and only the first " + std::to_string(within) + " names fit in 16 KB: ";
    if (*position < within) return which + "it lies within the cut, so a Windows client still sees it listed. ";
    return which + "it lies beyond the cut, so for a Windows client it is effectively not listed. ";
}

}  // namespace

std::optional<FindingDraft> check_ca_list_size(const TlsMessage& request, CaListAnswer answer,
                                               const Endpoint& client, const Endpoint& server,
                                               std::optional<std::size_t> issuer_position) {
    const std::uint64_t bytes = request.ca_names_bytes.value_or(0);
    if (bytes <= kSchannelCaListLimit) return std::nullopt;
    std::string msg = "The CertificateRequest of " + named(server, Side::Server) + " names " +
                      std::to_string(request.ca_names.size()) + " trusted CAs in " + std::to_string(bytes) +
                      " bytes, over the 16 KB (16384 bytes) that Windows Schannel handles (Microsoft KB 2464556 "
                      "and KB 2880390): a Windows client such as " +
                      named(client, Side::Client) + " may then send no certificate or the wrong one. ";
    bool error = false;
    if (answer == CaListAnswer::NoCertificate) {
        msg += "Here the client sent no certificate. ";
        error = true;
    } else if (answer == CaListAnswer::IssuerNotListed) {
        msg += "Here the client's certificate has no issuer in the list. ";
        error = true;
    } else if (answer == CaListAnswer::IssuerListed) {
        msg += "Here the client sent a certificate whose issuer is in the list. " +
               cut_position(request, issuer_position);
    }
    msg += "Remove the CAs the server does not need from its Trusted Root Certification Authorities store, "
           "or stop it sending the list (SendTrustedIssuerList=0), as those articles describe.";
    return FindingDraft{error ? Severity::Error : Severity::Warning, "ca-list-too-long", msg};
}

}  // namespace decoder
