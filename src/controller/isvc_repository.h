// IsvcRepository: the model repository extension of `ferry up` (REST /v2/repository/... and the
// gRPC Repository* RPCs, reached through the gateways like every model path, so only a caller
// the InferenceService's policies allow gets here). It answers for the InferenceService the
// request's Host or :authority routed to — the model server of that InferenceService, as in
// KServe, where each InferenceService's pods know only their own model: the index lists it,
// and only it can be loaded or unloaded (any other name is KServe's 404 "does not exist"; listing
// or acting on the namespace's other models here would bypass their own policies).
//
// Unload = the revision scaled to zero and kept there (503 "not ready" until loaded; the ISVC's
// `Active` condition says Unloaded); load = loaded again from its directory, answered once it
// serves (ScaleToZeroReconciler does both on the controller's worker thread).
//
// Threads: any; Index reads only the routed catalog.
#pragma once

#include "controller/scale_zero_reconciler.h"
#include "serving/model_repository.h"

namespace ferry::controller {

class IsvcRepository final : public serving::ModelRepository {
 public:
  explicit IsvcRepository(ScaleToZeroReconciler* scaler) : scaler_(scaler) {}

  std::vector<serving::RepositoryIndexEntry> Index(const serving::ModelCatalog& scope,
                                                   bool ready_only) const override;
  void Load(const serving::ModelCatalog& scope, const std::string& name, Done done) override;
  void Unload(const serving::ModelCatalog& scope, const std::string& name, Done done) override;

 private:
  void Request(const serving::ModelCatalog& scope, const std::string& name, bool load, Done done);
  ScaleToZeroReconciler* scaler_;
};

}  // namespace ferry::controller
