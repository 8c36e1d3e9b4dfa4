// Turning bytes into HttpRequests with the listener's limits: the one piece
// of request framing Ferry owns on top of Boost.Beast's parser (header/body
// byte limits, the header-field count limit, RFC 9112 framing refusals that
// Beast lets through, target splitting, header-name lower-casing).
// HttpServer runs internal::RequestParser (http_message.h) on every request;
// ParseHttpRequests runs the same parser over a flat buffer for the fuzz
// target and tests. Internal to the ferry_http library; no Beast types here.
#pragma once

#include <string_view>
#include <vector>

#include "common/status.h"
#include "http/http_server.h"
#include "http/http_types.h"

namespace ferry::http {

// Why a request could not be framed; maps to the status the listener sends.
enum class FrameError {
  kNone,
  kMalformed /*400*/,
  kHeaderTooLarge /*431*/,
  kBodyTooLarge /*413*/,
  kNotImplemented /*501: a transfer coding other than chunked*/
};

struct ParsedRequests {
  std::vector<HttpRequest> requests;  // complete requests, in order
  FrameError error = FrameError::kNone;
  std::string detail;  // parser message for kMalformed
  size_t consumed = 0;  // bytes used by complete requests
};

// Parses pipelined HTTP/1.x requests from `bytes` as the listener would,
// stopping at the first error or at an incomplete request. `common_fast_path`: try
// ParseCommonRequest (http_fast_parse.h) on each request first, as the listener does; false
// frames every request with Beast alone (the fuzz target's reference).
ParsedRequests ParseHttpRequests(std::string_view bytes, const HttpServerOptions& options,
                                 bool common_fast_path = true);

}  // namespace ferry::http
