// ReconcilerContext: what every reconciler gets from the Controller that
// owns it — the in-process API client, the work queue (to ask for other keys
// or for itself later), the record of its own status writes, and the
// options. Everything pointed to outlives the reconcilers.
#pragma once

#include "api/resource_client.h"
#include "controller/controller.h"
#include "controller/own_writes.h"
#include "controller/work_queue.h"

namespace ferry::controller {

struct ReconcilerContext {
  api::ResourceClient* client = nullptr;
  WorkQueue* queue = nullptr;
  OwnWrites* own_writes = nullptr;
  const ControllerOptions* options = nullptr;

  // UpdateStatus, remembered in own_writes so the watch does not echo it back.
  StatusOr<nlohmann::json> WriteStatus(const nlohmann::json& object) const;
};

}  // namespace ferry::controller
