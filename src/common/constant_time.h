// ConstantTimeEquals: compares a presented secret (a bearer token, a cookie
// value) with the expected one in time that depends only on their lengths,
// so response timing does not reveal how many leading bytes were right.
// Pure function; thread-safe.
#pragma once

#include <string_view>

namespace ferry {

inline bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace ferry
