// Compiled value matchers used by the policy engine: Istio string patterns
// (exact / `pre*` / `*suf` / `*` presence), URI path templates (`{*}`,
// `{**}`), IP/CIDR blocks and the namespace glob.
//
// Built once by the snapshot compiler; matched per request by the engine from
// any thread. All Matches() functions are const, allocation-free and work on
// string_views into the request.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/strings.h"  // EqualsIgnoreCase

namespace ferry::gateway {

// One Istio string pattern [API-AP Rule]: a single trailing `*` is a prefix,
// a single leading `*` a suffix, `*` alone means "non-empty"; any other `*`
// is literal.
struct StringPattern {
  enum class Kind : uint8_t { kExact, kPrefix, kSuffix, kPresence };
  Kind kind = Kind::kExact;
  std::string text;  // lower-cased when ignore_case
  bool ignore_case = false;

  static StringPattern Parse(std::string_view pattern, bool ignore_case = false);
  bool Matches(std::string_view value) const;
  std::string ToString() const;  // the original pattern form, for explanations
};

// Envoy URI template (Istio >= 1.22). `{*}` = exactly one non-empty segment,
// `{**}` = the rest (zero or more segments, must be last).
class PathTemplate {
 public:
  // True when `pattern` contains `{*}` or `{**}` and so must be parsed here.
  static bool IsTemplate(std::string_view pattern);
  static StatusOr<PathTemplate> Parse(std::string_view pattern);
  bool Matches(std::string_view path) const;
  const std::string& source() const { return source_; }

 private:
  struct Token {
    enum class Kind : uint8_t { kLiteral, kOne, kRest } kind;
    std::string literal;
  };
  std::string source_;
  std::vector<Token> tokens_;
};

// An IPv4/IPv6 address or CIDR block ("10.0.0.0/8", "::1", "1.2.3.4").
class Cidr {
 public:
  static StatusOr<Cidr> Parse(std::string_view text);
  bool Contains(std::string_view ip) const;
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  uint8_t bytes_[16] = {};
  int family_ = 4;  // 4 or 6
  int prefix_ = 32;
};

// Parses a textual IP into 16 bytes (v4 uses the first 4). False if invalid.
bool ParseIp(std::string_view ip, uint8_t out[16], int* family);

// `*` matches any run of characters (used for the namespaces glob).
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace ferry::gateway
