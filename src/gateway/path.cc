#include "gateway/path.h"

#include <vector>

namespace ferry::gateway {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool IsUnreserved(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool NeedsWork(std::string_view p) {
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '%' || c == '\\') {
      return true;
    }
    // A "." or ".." segment: '/' followed by '.' then '/', '.' or end.
    if (c == '.' && i > 0 && p[i - 1] == '/') {
      return true;
    }
  }
  return false;
}

}  // namespace

void RemoveDotSegments(std::string* path) {
  if (path->empty() || (*path)[0] != '/') {
    return;
  }
  std::string_view in(*path);
  std::vector<std::string_view> out;
  size_t pos = 1;
  while (true) {
    size_t slash = in.find('/', pos);
    bool last = slash == std::string_view::npos;
    std::string_view seg = in.substr(pos, last ? std::string_view::npos : slash - pos);
    if (seg == ".") {
      if (last) {
        out.emplace_back();
      }
    } else if (seg == "..") {
      if (!out.empty()) {
        out.pop_back();
      }
      if (last) {
        out.emplace_back();
      }
    } else {
      out.push_back(seg);
    }
    if (last) {
      break;
    }
    pos = slash + 1;
  }
  std::string result = "/";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) {
      result.push_back('/');
    }
    result.append(out[i]);
  }
  *path = std::move(result);
}

NormalizedPath NormalizePath(std::string_view raw, std::string* scratch) {
  NormalizedPath r;
  size_t q = raw.find('?');
  std::string_view p = raw.substr(0, q);
  if (q != std::string_view::npos) {
    r.query = raw.substr(q);
  }
  if (!NeedsWork(p)) {
    r.path = p;
    return r;
  }
  scratch->clear();
  scratch->reserve(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\') {
      scratch->push_back('/');
      continue;
    }
    if (c == '%' && i + 2 < p.size()) {
      int hi = HexValue(p[i + 1]);
      int lo = HexValue(p[i + 2]);
      if (hi >= 0 && lo >= 0) {
        int v = hi * 16 + lo;
        if (v == 0) {
          r.ok = false;
          return r;
        }
        if (IsUnreserved(v)) {
          scratch->push_back(static_cast<char>(v));
          i += 2;
          continue;
        }
      }
    }
    scratch->push_back(c);
  }
  RemoveDotSegments(scratch);
  r.path = *scratch;
  return r;
}

}  // namespace ferry::gateway
