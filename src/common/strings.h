// Small ASCII string helpers that several folders need: protocol names,
// header names, hosts and config values are ASCII and compared without
// regard to case; none of these look at locales or UTF-8. (Prefix and suffix
// tests are std::string_view's starts_with / ends_with.)
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ferry {

// A-Z → a-z; every other byte unchanged.
std::string AsciiLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Without leading and trailing spaces, tabs, CR, LF, FF and VT.
std::string_view TrimWhitespace(std::string_view s);
// Two lower-case hex digits per byte ("00ff").
std::string LowerHex(const unsigned char* bytes, size_t n);

}  // namespace ferry
