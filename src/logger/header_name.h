// MatchesLower: the logger's case-insensitive comparison of a header name received from a peer
// (event.cc: metadataHeaders to copy; http_pipeline.cc: the receiver's answer headers) with a
// lower-case constant. Called on request and sender threads; no state.
#pragma once

#include <string_view>

namespace ferry::logger {

// `s` equals `lower` (lower-case letters, digits, '-' and ':') ignoring the case of `s`'s letters.
// `| 0x20` lower-cases a letter and leaves digits and '-' alone; the only other characters it
// maps onto them are control characters, which a parsed header name cannot hold.
inline bool MatchesLower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((s[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

}  // namespace ferry::logger
