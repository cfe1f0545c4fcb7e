// What the codes in an ms-diagnostics header and the HRESULTs Exchange UM puts in it mean,
// in words a Lync administrator uses.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace decoder {

struct DiagnosticMeaning {
    std::string_view name;     // e.g. CERT_E_CN_NO_MATCH; empty for ms-diagnostics codes
    std::string_view meaning;  // one sentence
};

// Known ms-diagnostics error ids; nullopt when the id is not in our table.
std::optional<DiagnosticMeaning> ms_diagnostics_meaning(int code);
// The component an id belongs to, from the documented ranges (1000-1999 SIP stack, ...).
std::string_view ms_diagnostics_range(int code);
// "0x800B010F(CERT_E_CN_NO_MATCH)" or "0x800B010F": the HRESULT's name and meaning.
std::optional<DiagnosticMeaning> hresult_meaning(std::string_view text);

}  // namespace decoder
