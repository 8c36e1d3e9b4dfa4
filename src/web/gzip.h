// gzip (RFC 1952) for the dashboard's responses: the embedded assets (the
// compressed copy is made once) and the JSON the API answers the dashboard
// with (lists of InferenceServices, Events...). zlib does the work.
//
// Who calls it: WebHandler (assets) and FrontHandler (API responses, through
// GzipResponder). Threads: pure functions; GzipResponder's sink is used by
// one request only.
#pragma once

#include <string>
#include <string_view>

#include "http/http_types.h"

namespace ferry::web {

// True when the request's Accept-Encoding lists gzip (or *) with q > 0.
bool AcceptsGzip(const http::HttpRequest& request);

// The gzip member for `data` (empty string for empty input too: a valid
// stream). Never fails for in-memory input; on zlib failure returns "".
std::string GzipCompress(std::string_view data);

// Compresses `response` in place (Content-Encoding: gzip, Vary:
// Accept-Encoding) when it is worth it: text, JSON, JS, CSS or SVG of at
// least 1 KiB, not already encoded, and smaller afterwards. Returns true
// when it compressed.
bool MaybeGzip(http::HttpResponse* response);

// A Responder that gzips the single Send() of a request whose client
// accepts gzip; streamed responses (watch) pass through unchanged.
http::Responder GzipResponder(http::Responder inner);

}  // namespace ferry::web
