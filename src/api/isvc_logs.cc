#include "api/isvc_logs.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace ferry::api {
namespace {

std::string Key(std::string_view ns, std::string_view name) {
  std::string key(ns);
  key += '/';
  key += name;
  return key;
}

std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  int ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ", ms);
  return buf;
}

}  // namespace

void IsvcLogs::Append(std::string_view ns, std::string_view name, std::string_view line) {
  std::string entry = Timestamp() + " " + std::string(line);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rings_.find(Key(ns, name));
  if (it == rings_.end()) {
    // A bound on InferenceServices too, so names that are never deleted
    // (a flood of creates) cannot grow memory without limit.
    if (rings_.size() >= max_isvcs_) rings_.erase(rings_.begin());
    it = rings_.emplace(Key(ns, name), std::deque<std::string>()).first;
  }
  it->second.push_back(std::move(entry));
  while (it->second.size() > max_lines_) it->second.pop_front();
}

std::vector<std::string> IsvcLogs::Tail(std::string_view ns, std::string_view name,
                                        long tail) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rings_.find(Key(ns, name));
  if (it == rings_.end()) return {};
  const auto& ring = it->second;
  size_t n = tail < 0 ? ring.size() : std::min(ring.size(), static_cast<size_t>(tail));
  return std::vector<std::string>(ring.end() - static_cast<std::ptrdiff_t>(n), ring.end());
}

void IsvcLogs::Forget(std::string_view ns, std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rings_.find(Key(ns, name));
  if (it != rings_.end()) rings_.erase(it);
}

}  // namespace ferry::api
