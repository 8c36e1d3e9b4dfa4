// Internal to ferry_http: RepeatFramer, a connection's front end to ParseCommonRequest
// (http_fast_parse.h) that does not scan a header section it has just seen.
//
// Keep-alive clients (load generators, SDKs, a proxy's connection pool) send the same header
// section request after request, or the same but for the digits of its Content-Length. The
// framer remembers the last header section ParseCommonRequest accepted and where its parts lay
// (RequestLayout). When the next request begins with those bytes (its Content-Length digits
// aside, if it has one, and they are a value ParseCommonRequest takes), ParseCommonRequest would
// find the same method, target and fields at the same places; so they are taken from there
// without scanning, after the same limit and completeness checks. Anything else goes to
// ParseCommonRequest, and what it accepts is remembered.
//
// *out is written field by field only where it differs from the request's bytes (it may hold
// the connection's last request, untouched, or whatever a handler left there): the result is
// ParseCommonRequest's, whatever *out held. Declines exactly when ParseCommonRequest does,
// leaving *out untouched.
//
// One per connection, single-threaded; `options` must be the same on every call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/http_fast_parse.h"
#include "http/http_server.h"
#include "http/http_types.h"

namespace ferry::http::internal {

class RepeatFramer {
 public:
  // As ParseCommonRequest(bytes, options, out, nullptr, need).
  size_t Frame(std::string_view bytes, const HttpServerOptions& options, HttpRequest* out,
               size_t* need = nullptr);

  // Whether the last request framed came from the remembered header section (tests).
  bool repeated() const { return misses_ == 0; }

  // Header sections longer than this are not remembered (memory per connection).
  static constexpr size_t kMaxRemembered = 2048;

 private:
  // The remembered request's bytes equal the front of `bytes` (as above): frames it into *out
  // and returns its size, or 0 (*out untouched) when the checks fail or it does not match.
  size_t FrameRepeat(std::string_view bytes, const HttpServerOptions& options, HttpRequest* out);
  // Remembers the request ParseCommonRequest just framed from `bytes` into `req`.
  void Remember(std::string_view bytes, const HttpRequest& req);

  std::string head_;      // the last header section framed, as sent; empty: none
  std::string names_;     // its field names, lower-cased, one after another
  RequestLayout layout_;  // where its parts lie in head_ (names: into names_)
  uint32_t target_len_ = 0;
  uint32_t path_off_ = 0, path_len_ = 0;  // path and query: offsets into the target
  uint32_t query_off_ = 0, query_len_ = 0;
  bool path_in_target_ = true;  // else the literal "/" (SplitTarget's absolute-form case)
  bool keep_alive_ = true;
  // Misses in a row: a client whose header section changes every time (a fresh id per request)
  // stops paying for the record except once in a while (see Frame).
  uint32_t misses_ = 0;
};

}  // namespace ferry::http::internal
