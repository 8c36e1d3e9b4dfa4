// ModelRepository: the Open Inference Protocol's model repository extension (Triton's
// `model_repository` extension, as KServe's and MLServer's servers also answer it): list the
// models a server can serve with their state, load (or reload) one, unload one. The REST routes
// (server/repository_handlers.cc: POST /v2/repository/index, .../models/{name}/load|unload) and
// the gRPC RPCs (grpc/inference_service.cc: RepositoryIndex, RepositoryModelLoad,
// RepositoryModelUnload) call the same object, so both protocols answer alike.
//
// A server that has no repository passes none (null) to its transports: the routes then answer
// 404/UNIMPLEMENTED and `model_repository_extension` is not advertised.
//
// Threads: every method may be called from any I/O thread at once. Index answers at once; Load
// and Unload call `done` exactly once, possibly later from the repository's own thread (a load
// reads and parses model files: never on an I/O thread).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "serving/model_catalog.h"

namespace ferry::serving {

// One model in the index (Triton's ModelIndex; KServe lists the same name/state/reason).
struct RepositoryIndexEntry {
  std::string name;
  std::string version;  // "" when the model is not versioned
  std::string state;    // "READY", "LOADING" or "UNAVAILABLE"
  std::string reason;   // why it is not READY ("unloaded", the load error, "not loaded")
};

class ModelRepository {
 public:
  virtual ~ModelRepository() = default;

  // `scope` is the catalog the request was routed to: `ferry serve` has one repository and
  // ignores it; `ferry up` answers for the InferenceService the request's Host (or gRPC
  // :authority) names, after the gateway's policies for it allowed the call.

  // The models in name order; only the READY ones when `ready_only`.
  virtual std::vector<RepositoryIndexEntry> Index(const ModelCatalog& scope,
                                                  bool ready_only) const = 0;

  // Status: OK; NotFound for a name the repository does not hold ("Model with name X does not
  // exist.", KServe's words); Unavailable when the load failed (its cause) or the queue is full.
  using Done = std::function<void(Status)>;
  // Loads the model, or reloads it (a ready model keeps answering until the new one is ready,
  // and keeps answering when the reload fails).
  virtual void Load(const ModelCatalog& scope, const std::string& name, Done done) = 0;
  // Drops the model: its requests then get KServe's 503 "Model with name X is not ready."
  // Unloading an unloaded model succeeds (nothing to do).
  virtual void Unload(const ModelCatalog& scope, const std::string& name, Done done) = 0;
};

// KServe's ModelNotFound text, used by every transport.
inline std::string ModelDoesNotExist(const std::string& name) {
  return "Model with name " + name + " does not exist.";
}

}  // namespace ferry::serving
