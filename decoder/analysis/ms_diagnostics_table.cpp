#include "decoder/analysis/ms_diagnostics_table.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <utility>

namespace decoder {

namespace {

struct CodeRow {
    int code;
    std::string_view meaning;
};

// ms-diagnostics ids seen between Exchange UM, Lync/SfB front ends and edges.
constexpr std::array kCodes{
    CodeRow{1010, "the server could not establish certificate trust with the other server: its "
                  "certificate was not accepted (name, chain or validity) during mutual TLS"},
    CodeRow{1018, "the server could not reach the next hop over TLS: the connection or the TLS "
                  "negotiation with the peer server failed"},
    CodeRow{1034, "the previous hop (a federated peer) reported no diagnostic information of its own"},
    CodeRow{1036, "the previous hop (a shared address space peer) reported no diagnostic information "
                  "of its own"},
    CodeRow{1046, "the server failed to connect to the peer server at all (DNS, routing, firewall "
                  "or the peer's port 5061 not listening)"},
    CodeRow{1047, "the TLS negotiation with the peer server failed, typically because one side does "
                  "not trust the CA that issued the other side's certificate"},
};

struct HresultRow {
    std::uint32_t value;
    std::string_view name, meaning;
};

constexpr std::array kHresults{
    HresultRow{0x800B010F, "CERT_E_CN_NO_MATCH",
               "the certificate's subject CN does not match the name the peer expected; Lync "
               "compares the subject CN with the trusted server's FQDN and ignores the SANs"},
    HresultRow{0x800B0109, "CERT_E_UNTRUSTEDROOT",
               "the certificate chains to a root CA that the peer does not trust"},
    HresultRow{0x800B0101, "CERT_E_EXPIRED",
               "the certificate (or one in its chain) is outside its validity period"},
    HresultRow{0x800B010A, "CERT_E_CHAINING",
               "the chain could not be built up to a trusted root (an intermediate CA is missing)"},
    HresultRow{0x800B010C, "CERT_E_REVOKED", "the certificate was revoked by its issuer"},
    HresultRow{0x80092012, "CRYPT_E_NO_REVOCATION_CHECK",
               "the revocation function could not check the certificate (CRL not reachable)"},
    HresultRow{0x80092013, "CRYPT_E_REVOCATION_OFFLINE",
               "the revocation server was offline, so the certificate could not be checked"},
    HresultRow{0x80090325, "SEC_E_UNTRUSTED_ROOT",
               "Schannel: the certificate chain was issued by an authority that is not trusted"},
    HresultRow{0x80090322, "SEC_E_WRONG_PRINCIPAL",
               "Schannel: the target principal name is incorrect (the certificate name does not "
               "match the server name that was dialled)"},
    HresultRow{0x80090326, "SEC_E_ILLEGAL_MESSAGE",
               "Schannel: the peer sent a message that could not be processed (a fatal TLS alert, "
               "often a rejected certificate)"},
    HresultRow{0x80090304, "SEC_E_INTERNAL_ERROR",
               "Schannel: internal error, often no usable private key for the certificate"},
    HresultRow{0x80072746, "WSAECONNRESET", "the peer reset the TCP connection"},
    HresultRow{0x8007274C, "WSAETIMEDOUT", "the connection attempt timed out"},
    HresultRow{0x8007274D, "WSAECONNREFUSED", "the peer refused the TCP connection"},
};

}  // namespace

std::optional<DiagnosticMeaning> ms_diagnostics_meaning(int code) {
    for (const auto& row : kCodes)
        if (row.code == code) return DiagnosticMeaning{{}, row.meaning};
    return std::nullopt;
}

std::string_view ms_diagnostics_range(int code) {
    static constexpr std::array<std::pair<int, std::string_view>, 8> kRanges{{
        {999, "common errors"}, {1999, "SIP stack"}, {2999, "presence"}, {3999, "conferencing"},
        {4999, "user services"}, {9999, "server applications"}, {14999, "voice routing"},
        {15999, "Exchange Server UM"},
    }};
    for (const auto& [upper, name] : kRanges)
        if (code <= upper) return name;
    return "other components";
}

std::optional<DiagnosticMeaning> hresult_meaning(std::string_view text) {
    // Accept "0x800B010F(CERT_E_CN_NO_MATCH)", "0x800B010F" and "800B010F".
    if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
    std::uint32_t value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
    if (ec != std::errc{} || ptr == text.data()) return std::nullopt;
    for (const auto& row : kHresults)
        if (row.value == value) return DiagnosticMeaning{row.name, row.meaning};
    return std::nullopt;
}

}  // namespace decoder
