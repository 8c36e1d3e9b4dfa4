// Fuzz target: HTTP/1.x request framing as the listener does it (Beast's
// parser with Ferry's limits, header-count check, target split, header
// lower-casing), over arbitrary pipelined bytes. Invariants: no crash, no
// request consumed past the input, every path/query a view into its target.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/http_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ferry::server::HttpServerOptions options;
  options.max_header_bytes = 4096;
  options.max_body_bytes = 64 * 1024;
  options.max_header_count = 32;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto parsed = ferry::server::ParseHttpRequests(bytes, options);
  if (parsed.consumed > size) std::abort();
  for (const auto& r : parsed.requests) {
    const char* b = r.target.data();
    const char* e = b + r.target.size();
    // The path is a view into the target, or the literal "/" of an
    // absolute-form target without a path ("http://host").
    bool path_literal = r.path == "/" && r.target.find('/') != 0;
    if (!r.path.empty() && !path_literal &&
        (r.path.data() < b || r.path.data() + r.path.size() > e)) {
      std::abort();
    }
    if (!r.query.empty() && (r.query.data() < b || r.query.data() + r.query.size() > e)) {
      std::abort();
    }
    if (r.headers.size() > options.max_header_count) std::abort();
    if (r.body.size() > options.max_body_bytes) std::abort();
  }
  return 0;
}
