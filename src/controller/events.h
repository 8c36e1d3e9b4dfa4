// EventRecorder: the Kubernetes Events of the objects the controller runs —
// an InferenceService's (what `kubectl describe isvc` shows) and its pods'
// (pod_view.h) — and the lines of the model-server log (api::IsvcLogs,
// `.../inferenceservices/NAME/log`, `kubectl logs POD`). Every Event is also
// a log line. An Event that repeats (same object, type, reason and message)
// is counted on the first one (count, lastTimestamp), as client-go's
// correlator does, not stored again.
// Worker thread only; failures to record go to stderr.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "api/isvc_logs.h"
#include "api/resource_client.h"
#include "controller/isvc_state.h"

namespace ferry::controller {

class EventRecorder {
 public:
  EventRecorder(api::ResourceClient* client, api::IsvcLogs* logs) : client_(client), logs_(logs) {}

  // `type` is "Normal" or "Warning"; `reason` a KServe/Knative reason word.
  // The log line goes to `source` (default: the serving pod).
  void Record(const IsvcState& state, const std::string& type, const std::string& reason,
              const std::string& message, const api::LogSource& source = {});
  void Log(const IsvcState& state, const std::string& line, const api::LogSource& source = {});
  // An Event about any object: `involved` is its ObjectReference (apiVersion,
  // kind, name, namespace, uid, maybe fieldPath); `component` the reporter.
  void RecordFor(const nlohmann::json& involved, const std::string& type,
                 const std::string& reason, const std::string& message,
                 const std::string& component);

  api::IsvcLogs* logs() const { return logs_; }

 private:
  struct Seen {
    std::string name;
    int count = 1;
    std::string first;
  };
  api::ResourceClient* client_;
  api::IsvcLogs* logs_;  // may be null
  std::map<std::string, Seen> seen_;  // correlation key → the Event counting it
};

// RFC 3339 UTC, second precision ("2026-11-27T14:00:00Z").
std::string NowRfc3339();

}  // namespace ferry::controller
