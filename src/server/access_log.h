// AccessLog: one line per request to stderr, rate-limited so a load test does
// not turn the server into a log writer: past `max_lines_per_second` lines in
// a second the rest are counted and summarised in one line.
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
           size_t response_bytes, double seconds);

 private:
  const int max_per_second_;  // 0 = off, <0 = unlimited
  std::atomic<int64_t> second_{0};
  std::atomic<int> lines_this_second_{0};
  std::atomic<int64_t> suppressed_{0};
  std::mutex write_mu_;
};

}  // namespace ferry::server
