// Istio's request path normalization (MeshConfig `pathNormalization`
// [DOC-NORM]), done once per request before policies see the path and before
// the request is routed — Envoy forwards the normalized path upstream, so
// what was authorized is what is served:
//  - NONE: the path as received;
//  - BASE (Istio's default): single percent-decoding of unreserved
//    characters, `%00` rejected, `\` -> `/`, RFC 3986 dot-segment removal;
//  - MERGE_SLASHES: BASE, then runs of `/` merged into one;
//  - DECODE_AND_MERGE_SLASHES: `%2F`/`%5C` (any case) decoded to `/` and `\`
//    first, then MERGE_SLASHES.
// The query string is split off (ignored for `paths` matching, forwarded
// upstream unchanged).
//
// Called by the policy engine and by the ingress pipeline. Pure functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::gateway {

enum class PathNormalization : uint8_t { kNone, kBase, kMergeSlashes, kDecodeAndMergeSlashes };

// "NONE", "BASE", ... (MeshConfig spelling); nullopt for anything else.
std::optional<PathNormalization> ParsePathNormalization(std::string_view name);
std::string_view PathNormalizationName(PathNormalization mode);

struct NormalizedPath {
  bool ok = true;          // false: request must be rejected with 400
  std::string_view path;   // normalized path, no query (view into raw or scratch)
  std::string_view query;  // "?..." or empty (view into raw)
};

// `scratch` backs `path` when normalization changed anything; the common
// case (already-normal path) does not touch it, so no allocation happens.
NormalizedPath NormalizePath(std::string_view raw, PathNormalization mode, std::string* scratch);
inline NormalizedPath NormalizePath(std::string_view raw, std::string* scratch) {
  return NormalizePath(raw, PathNormalization::kBase, scratch);
}

// RFC 3986 5.2.4 remove_dot_segments on an absolute path, in place.
void RemoveDotSegments(std::string* path);

}  // namespace ferry::gateway
