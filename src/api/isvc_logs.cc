#include "api/isvc_logs.h"

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

}  // namespace

std::string LogTimestamp(std::chrono::system_clock::time_point t, bool nanos) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  long long ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count() %
                 1000000000;
  std::tm tm;
  gmtime_r(&secs, &tm);
  char buf[48];
  size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  if (nanos) {
    std::snprintf(buf + n, sizeof(buf) - n, ".%09lldZ", ns);
  } else {
    std::snprintf(buf + n, sizeof(buf) - n, ".%03lldZ", ns / 1000000);
  }
  return buf;
}

void IsvcLogs::Append(std::string_view ns, std::string_view name, std::string_view line) {
  Append(ns, name, LogSource{}, line);
}

void IsvcLogs::Append(std::string_view ns, std::string_view name, const LogSource& source,
                      std::string_view line) {
  LogEntry entry{std::chrono::system_clock::now(), source, std::string(line)};
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = rings_.find(Key(ns, name));
    if (it == rings_.end()) {
      // A bound on InferenceServices too, so names that are never deleted
      // (a flood of creates) cannot grow memory without limit.
      if (rings_.size() >= max_isvcs_) rings_.erase(rings_.begin());
      it = rings_.emplace(Key(ns, name), Ring()).first;
    }
    if (entry.source.pod.empty()) entry.source = it->second.serving;
    it->second.entries.push_back(entry);
    while (it->second.entries.size() > max_lines_) it->second.entries.pop_front();
  }
  if (listener_) listener_(std::string(ns), std::string(name), entry);
}

std::vector<std::string> IsvcLogs::Tail(std::string_view ns, std::string_view name,
                                        long tail) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rings_.find(Key(ns, name));
  if (it == rings_.end()) return {};
  const auto& ring = it->second.entries;
  size_t n = tail < 0 ? ring.size() : std::min(ring.size(), static_cast<size_t>(tail));
  std::vector<std::string> out;
  for (auto e = ring.end() - static_cast<std::ptrdiff_t>(n); e != ring.end(); ++e) {
    out.push_back(LogTimestamp(e->time) + " " + e->text);
  }
  return out;
}

std::vector<LogEntry> IsvcLogs::ForContainer(std::string_view ns, std::string_view name,
                                             std::string_view pod, std::string_view container,
                                             int restart,
                                             std::chrono::system_clock::time_point since,
                                             long tail) const {
  std::vector<LogEntry> out;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rings_.find(Key(ns, name));
  if (it == rings_.end()) return out;
  for (const LogEntry& e : it->second.entries) {
    if (e.source.pod == pod && e.source.container == container && e.source.restart == restart &&
        e.time >= since) {
      out.push_back(e);
    }
  }
  if (tail >= 0 && out.size() > static_cast<size_t>(tail)) {
    out.erase(out.begin(), out.end() - tail);
  }
  return out;
}

void IsvcLogs::SetServingPod(std::string_view ns, std::string_view name, std::string_view pod,
                             int restart) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rings_.find(Key(ns, name));
  if (it == rings_.end()) {
    if (rings_.size() >= max_isvcs_) rings_.erase(rings_.begin());
    it = rings_.emplace(Key(ns, name), Ring()).first;
  }
  it->second.serving = LogSource{std::string(pod), "kserve-container", restart};
}

void IsvcLogs::Forget(std::string_view ns, std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rings_.find(Key(ns, name));
  if (it != rings_.end()) rings_.erase(it);
}

}  // namespace ferry::api
