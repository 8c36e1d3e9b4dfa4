// IsvcLogs: the model server's log lines per InferenceService — a bounded
// in-memory ring of recent lines (download and load progress, load failures,
// unloads, predictor errors) that `ferry logs isvc NAME`, the dashboard and
// `GET .../inferenceservices/NAME/log?tailLines=N` read. Each line may name
// the pod, container and container restart it belongs to, so
// `kubectl logs POD -c storage-initializer` (the download) and
// `-c kserve-container` (the model server) read their own part of the same
// ring. Nothing is persisted: after a restart the ring starts empty, like a
// new pod's log.
//
// Who calls it: the controller and its model loader (lifecycle lines) and the
// model router's error hook (predictor errors) append; the ApiServer reads
// and follows (`kubectl logs -f`) through the listener. Thread-safe; owned by
// the ApiServer (ApiServer::isvc_logs()). The listener runs on the appending
// thread, outside the lock.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::api {

// Which container instance a line comes from; empty pod = the pod serving the
// InferenceService now (SetServingPod), container kserve-container.
struct LogSource {
  std::string pod;
  std::string container;
  int restart = 0;  // the container's restartCount when it wrote the line
};

struct LogEntry {
  std::chrono::system_clock::time_point time;
  LogSource source;
  std::string text;
};

class IsvcLogs {
 public:
  explicit IsvcLogs(size_t max_lines_per_isvc = 1000, size_t max_isvcs = 10000)
      : max_lines_(max_lines_per_isvc), max_isvcs_(max_isvcs) {}

  // Appends `line` (multi-line text is kept as one entry) from the serving pod.
  void Append(std::string_view ns, std::string_view name, std::string_view line);
  void Append(std::string_view ns, std::string_view name, const LogSource& source,
              std::string_view line);
  // The last `tail` lines (all kept lines when tail < 0), oldest first, as
  // "<RFC 3339 UTC with ms> <line>".
  std::vector<std::string> Tail(std::string_view ns, std::string_view name, long tail = -1) const;
  // The entries of one container instance of `pod` (a pod of InferenceService
  // `name`), not older than `since`, the last `tail` of them (all when < 0).
  std::vector<LogEntry> ForContainer(std::string_view ns, std::string_view name,
                                     std::string_view pod, std::string_view container, int restart,
                                     std::chrono::system_clock::time_point since,
                                     long tail) const;
  // Where lines without a pod go: `pod`'s kserve-container at `restart`.
  void SetServingPod(std::string_view ns, std::string_view name, std::string_view pod,
                     int restart);
  // Drops the ring of a deleted InferenceService.
  void Forget(std::string_view ns, std::string_view name);

  // Called with every appended entry (ns, InferenceService, entry); set once,
  // before lines are appended.
  using Listener =
      std::function<void(const std::string& ns, const std::string& name, const LogEntry& entry)>;
  void SetListener(Listener listener) { listener_ = std::move(listener); }

 private:
  struct Ring {
    std::deque<LogEntry> entries;
    LogSource serving;
  };
  const size_t max_lines_;
  const size_t max_isvcs_;
  Listener listener_;
  mutable std::mutex mu_;
  std::map<std::string, Ring, std::less<>> rings_;  // "ns/name"; guarded by mu_
};

// "<RFC 3339 UTC with ms>" of an entry's time.
std::string LogTimestamp(std::chrono::system_clock::time_point t, bool nanos = false);

}  // namespace ferry::api
