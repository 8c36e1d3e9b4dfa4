// The small clock, date, error-body and refusal helpers of Connection (http_connection.h). Private
// to ferry_http.
#pragma once

#include <boost/beast/core/error.hpp>
#include <chrono>
#include <ctime>
#include <string>

#include "http/http_message.h"
#include "http/http_server.h"
#include "http/http_types.h"

namespace ferry::http {

// steady_clock (CLOCK_MONOTONIC) as of the last scheduler tick: a few ms
// behind, 5 ns instead of 24 here. Read/write deadlines are seconds long, so
// arming them twice per request need not pay for the precise clock.
inline std::chrono::steady_clock::time_point CoarseNow() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return std::chrono::steady_clock::time_point(std::chrono::seconds(ts.tv_sec) +
                                               std::chrono::nanoseconds(ts.tv_nsec));
}

// "Fri, 27 Nov 2026 14:00:00 GMT", refreshed at most once a second per thread.
inline const std::string& HttpDate() {
  thread_local std::string cached;
  thread_local std::time_t cached_at = 0;
  std::time_t now = std::time(nullptr);
  if (now != cached_at) {
    char buf[64];
    std::tm tm;
    gmtime_r(&now, &tm);
    size_t n = std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached.assign(buf, n);
    cached_at = now;
  }
  return cached;
}

inline std::string ErrorJson(const std::string& message) {
  return "{\"error\": \"" + message + "\"}";
}

// The answer to a request refused while it was framed (`ec`: Beast's or RequestParser's error,
// or beast::error::timeout), naming the limit or the fault.
inline HttpResponse RefusalOf(const boost::beast::error_code& ec, const HttpServerOptions& o) {
  const FrameError fe =
      ec == boost::beast::error::timeout ? FrameError::kNone : internal::ClassifyParseError(ec);
  if (fe == FrameError::kHeaderTooLarge) {
    return HttpResponse::Json(431, ErrorJson("request header fields too large (limits: " +
                                             std::to_string(o.max_header_bytes) + " bytes, " +
                                             std::to_string(o.max_header_count) + " fields)"));
  }
  if (fe == FrameError::kBodyTooLarge) {
    return HttpResponse::Json(
        413, ErrorJson("request body too large (limit " + std::to_string(o.max_body_bytes) +
                       " bytes); send smaller batches or raise the limit"));
  }
  if (ec == boost::beast::error::timeout) {
    return HttpResponse::Json(408, ErrorJson("request not received in time"));
  }
  if (fe == FrameError::kNotImplemented) {
    return HttpResponse::Json(501, ErrorJson("unsupported HTTP request framing: " + ec.message()));
  }
  return HttpResponse::Json(400, ErrorJson("malformed HTTP request: " + ec.message()));
}

}  // namespace ferry::http
