// Fuzz target: "<pattern>\n<path>" — path normalization (every MeshConfig
// mode), Istio string patterns and URI templates must never crash; a
// matching template must only match normalized paths that start with '/';
// the slash-merging modes leave no "//"; NONE leaves the path as sent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gateway/match.h"
#include "gateway/path.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  std::string_view pattern = in.substr(0, nl);
  std::string_view raw = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  std::string scratch;
  ferry::gateway::NormalizedPath p = ferry::gateway::NormalizePath(raw, &scratch);
  if (!p.ok) {
    return 0;
  }
  (void)ferry::gateway::StringPattern::Parse(pattern).Matches(p.path);
  (void)ferry::gateway::StringPattern::Parse(pattern, true).Matches(p.path);
  (void)ferry::gateway::GlobMatch(pattern, p.path);
  auto tmpl = ferry::gateway::PathTemplate::Parse(pattern);
  if (tmpl.ok() && tmpl->Matches(p.path) && (p.path.empty() || p.path[0] != '/')) {
    std::abort();
  }
  // Normalization is idempotent.
  std::string again;
  std::string first(p.path);
  ferry::gateway::NormalizedPath q = ferry::gateway::NormalizePath(first, &again);
  if (q.ok && first.find('?') == std::string::npos && first.find('%') == std::string::npos &&
      q.path != first) {
    std::abort();
  }
  (void)ferry::gateway::Cidr::Parse(pattern);
  using ferry::gateway::PathNormalization;
  for (PathNormalization mode :
       {PathNormalization::kNone, PathNormalization::kMergeSlashes,
        PathNormalization::kDecodeAndMergeSlashes}) {
    std::string s;
    ferry::gateway::NormalizedPath n = ferry::gateway::NormalizePath(raw, mode, &s);
    if (!n.ok) {
      continue;
    }
    if (mode == PathNormalization::kNone && n.path != raw.substr(0, raw.find('?'))) {
      std::abort();
    }
    if (mode != PathNormalization::kNone && n.path.find("//") != std::string_view::npos) {
      std::abort();
    }
  }
  return 0;
}
