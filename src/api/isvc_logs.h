// IsvcLogs: the model server's log lines per InferenceService — a bounded
// in-memory ring of recent lines (download and load progress, load failures,
// unloads, predictor errors) that `ferry logs isvc NAME`, the dashboard and
// `GET .../inferenceservices/NAME/log?tailLines=N` read. Nothing is persisted:
// after a restart the ring starts empty, like a new pod's log.
//
// Who calls it: the controller (lifecycle lines) and the model router's error
// hook (predictor errors) append; the ApiServer reads. Thread-safe; owned by
// the ApiServer (ApiServer::isvc_logs()).
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::api {

class IsvcLogs {
 public:
  explicit IsvcLogs(size_t max_lines_per_isvc = 1000, size_t max_isvcs = 10000)
      : max_lines_(max_lines_per_isvc), max_isvcs_(max_isvcs) {}

  // Appends "<RFC 3339 UTC with ms> <line>"; multi-line text is kept as one entry.
  void Append(std::string_view ns, std::string_view name, std::string_view line);
  // The last `tail` lines (all kept lines when tail < 0), oldest first.
  std::vector<std::string> Tail(std::string_view ns, std::string_view name, long tail = -1) const;
  // Drops the ring of a deleted InferenceService.
  void Forget(std::string_view ns, std::string_view name);

 private:
  const size_t max_lines_;
  const size_t max_isvcs_;
  mutable std::mutex mu_;
  std::map<std::string, std::deque<std::string>, std::less<>> rings_;  // "ns/name"; guarded by mu_
};

}  // namespace ferry::api
