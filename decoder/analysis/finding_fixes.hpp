// "What would fix it": one line per finding code for the HTML report, naming the Microsoft
// article or setting by its number or title (the report loads nothing, so no links).
#pragma once

#include <string_view>

namespace decoder {

// The fix line for a finding code, or "" for a code this table does not know (a test checks
// that every code the diagnosis rules raise has one).
std::string_view finding_fix(std::string_view code);

}  // namespace decoder
