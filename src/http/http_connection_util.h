// The small clock, date and error-body helpers of Connection (http_connection.h). Private to
// ferry_http.
#pragma once

#include <chrono>
#include <ctime>
#include <string>

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

}  // namespace ferry::http
