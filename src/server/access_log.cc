#include "server/access_log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace ferry::server {

void AccessLog::Log(std::string_view remote, std::string_view method, std::string_view target,
                    int status, size_t response_bytes, double seconds,
                    std::string_view request_id, std::string_view traceparent) {
  if (max_per_second_ == 0) return;
  using namespace std::chrono;
  int64_t now_s = duration_cast<std::chrono::seconds>(system_clock::now().time_since_epoch()).count();
  int64_t prev = second_.load(std::memory_order_relaxed);
  int64_t dropped = 0;
  if (prev != now_s && second_.compare_exchange_strong(prev, now_s)) {
    lines_this_second_.store(0, std::memory_order_relaxed);
    dropped = suppressed_.exchange(0);
  }
  bool over = max_per_second_ > 0 &&
              lines_this_second_.fetch_add(1, std::memory_order_relaxed) >= max_per_second_;
  if (over && dropped == 0) {
    suppressed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::time_t t = static_cast<std::time_t>(now_s);
  std::tm tm;
  gmtime_r(&t, &tm);
  char ts[32];
  std::strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string line;
  if (dropped > 0) {
    line += std::string(ts) + " access-log: " + std::to_string(dropped) +
            " lines suppressed in the previous second (rate limit)\n";
  }
  if (!over) {
    char tail[96];
    std::snprintf(tail, sizeof(tail), "\" %d %zu %.3fms", status, response_bytes,
                  seconds * 1000.0);
    line += std::string(ts) + " " + std::string(remote) + " \"" + std::string(method) + " " +
            std::string(target.substr(0, 512)) + tail;
    if (!request_id.empty()) line.append(" x-request-id=").append(request_id);
    if (!traceparent.empty()) line.append(" traceparent=").append(traceparent);
    line.push_back('\n');
  } else {
    suppressed_.fetch_add(1, std::memory_order_relaxed);
  }
  std::lock_guard<std::mutex> lock(write_mu_);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace ferry::server
