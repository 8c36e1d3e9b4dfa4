#include "gateway/match.h"

#include <arpa/inet.h>

#include <cstring>

namespace ferry::gateway {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool StartsWith(std::string_view v, std::string_view p, bool ic) {
  if (v.size() < p.size()) {
    return false;
  }
  return ic ? EqualsIgnoreCase(v.substr(0, p.size()), p) : v.substr(0, p.size()) == p;
}

bool EndsWith(std::string_view v, std::string_view s, bool ic) {
  if (v.size() < s.size()) {
    return false;
  }
  std::string_view tail = v.substr(v.size() - s.size());
  return ic ? EqualsIgnoreCase(tail, s) : tail == s;
}

// Envoy's pchar set for URI template variables.
bool IsTemplateChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return std::strchr("-._~%!$&'()+,;:@=", c) != nullptr && c != '\0';
}

}  // namespace

StringPattern StringPattern::Parse(std::string_view pattern, bool ignore_case) {
  StringPattern p;
  p.ignore_case = ignore_case;
  if (pattern == "*") {
    p.kind = Kind::kPresence;
  } else if (pattern.size() > 1 && pattern.front() == '*') {
    p.kind = Kind::kSuffix;
    pattern.remove_prefix(1);
  } else if (pattern.size() > 1 && pattern.back() == '*') {
    p.kind = Kind::kPrefix;
    pattern.remove_suffix(1);
  }
  p.text.assign(pattern);
  if (ignore_case) {
    for (char& c : p.text) {
      c = Lower(c);
    }
  }
  return p;
}

bool StringPattern::Matches(std::string_view value) const {
  switch (kind) {
    case Kind::kPresence:
      return !value.empty();
    case Kind::kPrefix:
      return StartsWith(value, text, ignore_case);
    case Kind::kSuffix:
      return EndsWith(value, text, ignore_case);
    case Kind::kExact:
      return ignore_case ? EqualsIgnoreCase(value, text) : value == text;
  }
  return false;
}

std::string StringPattern::ToString() const {
  switch (kind) {
    case Kind::kPresence:
      return "*";
    case Kind::kPrefix:
      return text + "*";
    case Kind::kSuffix:
      return "*" + text;
    case Kind::kExact:
      break;
  }
  return text;
}

bool PathTemplate::IsTemplate(std::string_view pattern) {
  return pattern.find("{*}") != std::string_view::npos ||
         pattern.find("{**}") != std::string_view::npos;
}

StatusOr<PathTemplate> PathTemplate::Parse(std::string_view pattern) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError("path template '" + std::string(pattern) + "' is invalid: " +
                                std::string(why) + "; fix: use {*} or {**} as whole segments");
  };
  if (pattern.empty() || pattern.front() != '/') {
    return bad("it must start with '/'");
  }
  PathTemplate t;
  t.source_.assign(pattern);
  std::string literal;
  size_t pos = 0;
  while (pos < pattern.size()) {
    size_t slash = pattern.find('/', pos + 1);
    std::string_view seg = pattern.substr(
        pos + 1, slash == std::string_view::npos ? std::string_view::npos : slash - pos - 1);
    literal.push_back('/');
    if (seg == "{*}" || seg == "{**}") {
      if (!t.tokens_.empty() && t.tokens_.back().kind == Token::Kind::kRest) {
        return bad("{**} must be the last operator");
      }
      t.tokens_.push_back({Token::Kind::kLiteral, literal});
      literal.clear();
      t.tokens_.push_back({seg == "{*}" ? Token::Kind::kOne : Token::Kind::kRest, {}});
    } else {
      if (seg.find_first_of("*{}") != std::string_view::npos) {
        return bad("'*', '{' and '}' are only allowed as whole-segment operators");
      }
      if (!t.tokens_.empty() && t.tokens_.back().kind == Token::Kind::kRest) {
        return bad("{**} must be the last operator");
      }
      literal.append(seg);
    }
    if (slash == std::string_view::npos) {
      break;
    }
    pos = slash;
  }
  if (!literal.empty()) {
    t.tokens_.push_back({Token::Kind::kLiteral, literal});
  }
  return t;
}

bool PathTemplate::Matches(std::string_view path) const {
  for (const Token& tok : tokens_) {
    switch (tok.kind) {
      case Token::Kind::kLiteral:
        if (path.substr(0, tok.literal.size()) != tok.literal) {
          return false;
        }
        path.remove_prefix(tok.literal.size());
        break;
      case Token::Kind::kOne: {
        size_t n = 0;
        while (n < path.size() && path[n] != '/') {
          if (!IsTemplateChar(path[n])) {
            return false;
          }
          ++n;
        }
        if (n == 0) {
          return false;
        }
        path.remove_prefix(n);
        break;
      }
      case Token::Kind::kRest:
        for (char c : path) {
          if (c != '/' && !IsTemplateChar(c)) {
            return false;
          }
        }
        return true;
    }
  }
  return path.empty();
}

bool ParseIp(std::string_view ip, uint8_t out[16], int* family) {
  char buf[64];
  if (ip.empty() || ip.size() >= sizeof(buf)) {
    return false;
  }
  std::memcpy(buf, ip.data(), ip.size());
  buf[ip.size()] = '\0';
  std::memset(out, 0, 16);
  if (inet_pton(AF_INET, buf, out) == 1) {
    *family = 4;
    return true;
  }
  if (inet_pton(AF_INET6, buf, out) == 1) {
    *family = 6;
    return true;
  }
  return false;
}

StatusOr<Cidr> Cidr::Parse(std::string_view text) {
  Cidr c;
  c.source_.assign(text);
  std::string_view addr = text;
  int prefix = -1;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    std::string_view bits = text.substr(slash + 1);
    // At most 3 digits: anything longer or not a number is "above the max"
    // (and never overflows int).
    prefix = bits.empty() || bits.size() > 3 ? 999 : 0;
    for (size_t i = 0; prefix != 999 && i < bits.size(); ++i) {
      const char ch = bits[i];
      prefix = (ch >= '0' && ch <= '9') ? prefix * 10 + (ch - '0') : 999;
    }
  }
  if (!ParseIp(addr, c.bytes_, &c.family_)) {
    return InvalidArgumentError("IP block '" + std::string(text) +
                                "' is not a valid IP address or CIDR; fix: use e.g. 10.0.0.0/8");
  }
  int max = c.family_ == 4 ? 32 : 128;
  if (prefix == -1) {
    prefix = max;
  }
  if (prefix > max) {
    return InvalidArgumentError("IP block '" + std::string(text) + "' has a prefix length above " +
                                std::to_string(max));
  }
  c.prefix_ = prefix;
  return c;
}

bool Cidr::Contains(std::string_view ip) const {
  uint8_t b[16];
  int family = 0;
  if (!ParseIp(ip, b, &family) || family != family_) {
    return false;
  }
  int full = prefix_ / 8;
  if (std::memcmp(b, bytes_, full) != 0) {
    return false;
  }
  int rem = prefix_ % 8;
  if (rem == 0) {
    return true;
  }
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rem));
  return (b[full] & mask) == (bytes_[full] & mask);
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Iterative wildcard match with single backtrack point (linear-ish).
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

}  // namespace ferry::gateway
