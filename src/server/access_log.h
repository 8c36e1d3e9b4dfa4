// AccessLog: one line per request to stderr, rate-limited so a load test does
// not turn the server into a log writer: past `max_lines_per_second` lines in
// a second the rest are counted and summarised in one line. Each line ends
// with the request's x-request-id and traceparent (serving/request_context.h),
// so a call can be followed from the client to the model and back:
//   2026-01-02T03:04:05Z 127.0.0.1 "POST /v2/models/m/infer" 200 81 0.042ms
//       x-request-id=ID traceparent=00-TRACE-SPAN-01
//
// Threads: Log() is thread-safe (a mutex around the write; the limiter check
// is a relaxed atomic, so suppressed lines cost almost nothing).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string_view>

namespace ferry::server {

class AccessLog {
 public:
  explicit AccessLog(int max_lines_per_second) : max_per_second_(max_lines_per_second) {}
  void Log(std::string_view remote, std::string_view method, std::string_view target, int status,
           size_t response_bytes, double seconds, std::string_view request_id = {},
           std::string_view traceparent = {});

 private:
  const int max_per_second_;  // 0 = off, <0 = unlimited
  std::atomic<int64_t> second_{0};
  std::atomic<int> lines_this_second_{0};
  std::atomic<int64_t> suppressed_{0};
  std::mutex write_mu_;
};

}  // namespace ferry::server
