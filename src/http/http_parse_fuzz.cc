// Fuzz target: HTTP/1.x request framing as the listener does it (Beast's
// parser with Ferry's limits, header-count check, target split, header
// lower-casing), over arbitrary pipelined bytes. Invariants: no crash, no
// request consumed past the input, every path/query a view into its target,
// and no accepted request whose framing is ambiguous (RFC 9112 section 6: at
// most one Content-Length, never next to Transfer-Encoding, whose codings
// must be exactly one `chunked`). And the Beast-free path for the common request
// (http_fast_parse.h) accepts only what Beast's path frames, to the same request and length; a
// connection's RepeatFramer (http_repeat_framer.h) frames pipelined requests as it does.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/http_fast_parse.h"
#include "http/http_parse.h"
#include "http/http_repeat_framer.h"

namespace {

// The non-empty elements of a Transfer-Encoding value are exactly one
// "chunked" (case-insensitive).
bool OnlyChunked(std::string_view v) {
  int chunked = 0;
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string_view e = v.substr(0, comma);
    v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
    while (!e.empty() && (e.front() == ' ' || e.front() == '\t')) e.remove_prefix(1);
    while (!e.empty() && (e.back() == ' ' || e.back() == '\t')) e.remove_suffix(1);
    if (e.empty()) continue;
    if (e.size() != 7) return false;
    for (size_t i = 0; i < 7; ++i) {
      if ((e[i] | 0x20) != "chunked"[i]) return false;
    }
    ++chunked;
  }
  return chunked == 1;
}

bool SameRequest(const ferry::http::HttpRequest& a, const ferry::http::HttpRequest& b) {
  return a.method == b.method && a.target == b.target && a.path == b.path &&
         a.query == b.query && a.headers == b.headers && a.body == b.body &&
         a.keep_alive == b.keep_alive;
}

// What ParseCommonRequest takes, Beast's path alone takes the same way.
// A request declined only for a short body (`need`) is taken, at exactly that size, once the
// body's bytes have come.
void CheckFastPath(std::string_view bytes, const ferry::http::HttpServerOptions& options) {
  ferry::http::HttpRequest fast;
  size_t need = 0;
  size_t n = ferry::http::internal::ParseCommonRequest(bytes, options, &fast, nullptr, &need);
  if (n == 0 && need != 0) {
    if (need <= bytes.size()) std::abort();
    std::string whole(bytes);
    whole.resize(need, 'x');
    if (ferry::http::internal::ParseCommonRequest(whole, options, &fast) != need) std::abort();
    return CheckFastPath(whole, options);
  }
  if (n == 0) return;
  auto ref = ferry::http::ParseHttpRequests(bytes.substr(0, n), options, false);
  if (ref.error != ferry::http::FrameError::kNone || ref.requests.size() != 1 ||
      ref.consumed != n || !SameRequest(ref.requests[0], fast)) {
    std::abort();
  }
}

// Pipelined requests framed one after another by one RepeatFramer into one request, as a
// connection does: each as ParseCommonRequest frames it into a fresh request.
void CheckRepeatFramer(std::string_view bytes, const ferry::http::HttpServerOptions& options) {
  ferry::http::internal::RepeatFramer framer;
  ferry::http::HttpRequest reused;
  for (int i = 0; i < 16 && !bytes.empty(); ++i) {
    ferry::http::HttpRequest fresh;
    size_t n = ferry::http::internal::ParseCommonRequest(bytes, options, &fresh);
    if (framer.Frame(bytes, options, &reused) != n) std::abort();
    if (n == 0) return;
    if (!SameRequest(fresh, reused)) std::abort();
    bytes.remove_prefix(n);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ferry::http::HttpServerOptions options;
  options.max_header_bytes = 4096;
  options.max_body_bytes = 64 * 1024;
  options.max_header_count = 32;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckFastPath(bytes, options);
  CheckRepeatFramer(bytes, options);
  auto parsed = ferry::http::ParseHttpRequests(bytes, options);
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
    int content_lengths = 0, transfer_encodings = 0;
    for (const auto& [name, value] : r.headers) {
      if (name == "content-length") ++content_lengths;
      if (name == "transfer-encoding") {
        ++transfer_encodings;
        if (!OnlyChunked(value)) std::abort();
      }
    }
    if (content_lengths > 1 || transfer_encodings > 1) std::abort();
    if (content_lengths > 0 && transfer_encodings > 0) std::abort();
    if (r.body.size() > options.max_body_bytes) std::abort();
  }
  return 0;
}
