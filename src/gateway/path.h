// Istio BASE path normalization [DOC-NORM]: single percent-decoding of
// unreserved characters, `%00` rejected, `\` -> `/`, RFC 3986 dot-segment
// removal. The query string is split off (it is ignored for `paths` matching
// but forwarded upstream).
//
// Called by the policy engine for every request and by the HTTP layer to get
// the path it forwards. Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace ferry::gateway {

struct NormalizedPath {
  bool ok = true;          // false: request must be rejected with 400
  std::string_view path;   // normalized path, no query (view into raw or scratch)
  std::string_view query;  // "?..." or empty (view into raw)
};

// `scratch` backs `path` when normalization changed anything; the common
// case (already-normal path) does not touch it, so no allocation happens.
NormalizedPath NormalizePath(std::string_view raw, std::string* scratch);

// RFC 3986 5.2.4 remove_dot_segments on an absolute path, in place.
void RemoveDotSegments(std::string* path);

}  // namespace ferry::gateway
