#include "web/redirect.h"

namespace ferry::web {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One round of %XX decoding (no '+': this is a path, not a form).
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// One form of the target, judged as a browser would resolve it.
bool Unsafe(std::string_view v) {
  if (v.empty() || v[0] != '/') return true;  // a scheme, a host, or nothing
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '\\') return true;
  }
  // oauth2-proxy's [/\\](\s*|\.{1,2})[/\\], backslashes already gone: a
  // slash followed by spaces, ".", or ".." and another slash.
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '/') continue;
    size_t j = i + 1;
    while (j < v.size() && v[j] == ' ') ++j;
    if (j < v.size() && v[j] == '/') return true;
    std::string_view rest = v.substr(i + 1);
    if (rest.rfind("./", 0) == 0 || rest.rfind("../", 0) == 0) return true;
  }
  return false;
}

}  // namespace

bool IsSafeRedirect(std::string_view target) {
  std::string current(target);
  // Each decoding round is judged again; a value still changing after a few
  // rounds is nested encoding no page of ours produces.
  for (int round = 0; round < 4; ++round) {
    if (Unsafe(current)) return false;
    std::string next = PercentDecode(current);
    if (next == current) return true;
    current = std::move(next);
  }
  return false;
}

std::string SafeRedirect(std::string_view target) {
  return IsSafeRedirect(target) ? std::string(target) : std::string("/");
}

}  // namespace ferry::web
