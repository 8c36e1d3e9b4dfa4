#include "gateway/path.h"

#include <cctype>
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

namespace {

// BASE on `p` into *out; false when the path must be rejected (%00).
bool Base(std::string_view p, std::string* out) {
  out->clear();
  out->reserve(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\') {
      out->push_back('/');
      continue;
    }
    if (c == '%' && i + 2 < p.size()) {
      int hi = HexValue(p[i + 1]);
      int lo = HexValue(p[i + 2]);
      if (hi >= 0 && lo >= 0) {
        int v = hi * 16 + lo;
        if (v == 0) {
          return false;
        }
        if (IsUnreserved(v)) {
          out->push_back(static_cast<char>(v));
          i += 2;
          continue;
        }
      }
    }
    out->push_back(c);
  }
  RemoveDotSegments(out);
  return true;
}

// %2F / %5C (any case) -> '/' / '\' (Envoy's UNESCAPE_AND_FORWARD).
std::string UnescapeSlashes(std::string_view p) {
  std::string out;
  out.reserve(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '%' && i + 2 < p.size()) {
      char a = p[i + 1];
      char b = static_cast<char>(std::toupper(static_cast<unsigned char>(p[i + 2])));
      if (a == '2' && b == 'F') {
        out.push_back('/');
        i += 2;
        continue;
      }
      if (a == '5' && b == 'C') {
        out.push_back('\\');
        i += 2;
        continue;
      }
    }
    out.push_back(p[i]);
  }
  return out;
}

bool HasDoubleSlash(std::string_view p) { return p.find("//") != std::string_view::npos; }

void MergeSlashes(std::string* p) {
  size_t w = 0;
  for (size_t r = 0; r < p->size(); ++r) {
    if ((*p)[r] == '/' && w > 0 && (*p)[w - 1] == '/') {
      continue;
    }
    (*p)[w++] = (*p)[r];
  }
  p->resize(w);
}

}  // namespace

std::optional<PathNormalization> ParsePathNormalization(std::string_view name) {
  if (name == "NONE") {
    return PathNormalization::kNone;
  }
  if (name == "BASE" || name == "DEFAULT") {
    return PathNormalization::kBase;
  }
  if (name == "MERGE_SLASHES") {
    return PathNormalization::kMergeSlashes;
  }
  if (name == "DECODE_AND_MERGE_SLASHES") {
    return PathNormalization::kDecodeAndMergeSlashes;
  }
  return std::nullopt;
}

std::string_view PathNormalizationName(PathNormalization mode) {
  switch (mode) {
    case PathNormalization::kNone:
      return "NONE";
    case PathNormalization::kBase:
      return "BASE";
    case PathNormalization::kMergeSlashes:
      return "MERGE_SLASHES";
    case PathNormalization::kDecodeAndMergeSlashes:
      return "DECODE_AND_MERGE_SLASHES";
  }
  return "BASE";
}

NormalizedPath NormalizePath(std::string_view raw, PathNormalization mode, std::string* scratch) {
  NormalizedPath r;
  size_t q = raw.find('?');
  std::string_view p = raw.substr(0, q);
  if (q != std::string_view::npos) {
    r.query = raw.substr(q);
  }
  bool merge =
      mode == PathNormalization::kMergeSlashes || mode == PathNormalization::kDecodeAndMergeSlashes;
  if (mode == PathNormalization::kNone || (!NeedsWork(p) && !(merge && HasDoubleSlash(p)))) {
    r.path = p;
    return r;
  }
  if (mode == PathNormalization::kDecodeAndMergeSlashes) {
    r.ok = Base(UnescapeSlashes(p), scratch);
  } else {
    r.ok = Base(p, scratch);
  }
  if (!r.ok) {
    return r;
  }
  if (merge) {
    MergeSlashes(scratch);
  }
  r.path = *scratch;
  return r;
}

}  // namespace ferry::gateway
