// EventRecorder: the InferenceService's Kubernetes Events (what `kubectl
// describe isvc` shows) and the lines of its model-server log
// (api::IsvcLogs, `.../inferenceservices/NAME/log`). Every Event is also a
// log line. Worker thread only; failures to record go to stderr.
#pragma once

#include <string>

#include "api/isvc_logs.h"
#include "api/resource_client.h"
#include "controller/isvc_state.h"

namespace ferry::controller {

class EventRecorder {
 public:
  EventRecorder(api::ResourceClient* client, api::IsvcLogs* logs) : client_(client), logs_(logs) {}

  // `type` is "Normal" or "Warning"; `reason` a KServe/Knative reason word.
  void Record(const IsvcState& state, const std::string& type, const std::string& reason,
              const std::string& message);
  void Log(const IsvcState& state, const std::string& line);

 private:
  api::ResourceClient* client_;
  api::IsvcLogs* logs_;  // may be null
  int seq_ = 0;
};

// RFC 3339 UTC, second precision ("2026-11-27T14:00:00Z").
std::string NowRfc3339();

}  // namespace ferry::controller
