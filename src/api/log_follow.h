// LogFollowers: `kubectl logs -f POD -c CONTAINER` — chunked text/plain
// streams of one container run's log lines (IsvcLogs) as they are appended.
// A stream ends when its container run is no longer running (the pod is gone,
// the container terminated or restarted), when the client goes away, or on
// Shutdown.
//
// Threads: lines are written on the appending thread (IsvcLogs' listener); a
// reaper thread checks the pods every 200 ms. Internal to ferry_api; owned by
// the ApiServer, which must keep the store and the logs alive longer.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/isvc_logs.h"
#include "http/http_types.h"
#include "store/resource_store.h"

namespace ferry::api {

struct LogTarget {
  std::string ns;
  std::string isvc;
  std::string pod;
  std::string container;
  int restart = 0;
  bool timestamps = false;
};

// One line of `kubectl logs` output: the entry's text after its time
// (RFC 3339 with ms), or with --timestamps kube's RFC 3339 nanosecond prefix.
std::string FormatLogLine(const LogEntry& entry, bool timestamps);

class LogFollowers {
 public:
  LogFollowers(store::ResourceStore* store, IsvcLogs* logs);
  ~LogFollowers();

  // Sends `backlog` and then every new line of `target` until the stream ends.
  void Start(LogTarget target, std::vector<LogEntry> backlog, http::Responder responder);
  void Shutdown();

  struct Stream;

 private:
  void OnLine(const std::string& ns, const std::string& isvc, const LogEntry& entry);
  bool StillRunning(const LogTarget& target) const;
  void Reap();

  store::ResourceStore* store_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::shared_ptr<Stream>> streams_;  // guarded by mu_
  std::thread reaper_;
};

}  // namespace ferry::api
