#include "controller/isvc_repository.h"

namespace ferry::controller {

using serving::ModelEntry;

std::vector<serving::RepositoryIndexEntry> IsvcRepository::Index(
    const serving::ModelCatalog& scope, bool ready_only) const {
  std::vector<serving::RepositoryIndexEntry> out;
  for (const auto& m : scope.models) {
    serving::RepositoryIndexEntry e{m->name, "", "READY", ""};
    if (m->state == ModelEntry::State::kUnloaded) {
      e.state = "UNAVAILABLE";
      e.reason = m->failure;
    } else if (m->state == ModelEntry::State::kLoading) {
      e.state = "UNAVAILABLE";
      e.reason = "scaled to zero (minReplicas: 0): the next request or a load loads it again";
    } else if (m->state == ModelEntry::State::kFailed) {
      e.state = "UNAVAILABLE";
      e.reason = "failed to load: " + m->failure;
    }
    if (ready_only && e.state != "READY") continue;
    out.push_back(std::move(e));
  }
  return out;
}

void IsvcRepository::Request(const serving::ModelCatalog& scope, const std::string& name,
                             bool load, Done done) {
  // Decided on the routed catalog: its one model is the InferenceService the gateway checked.
  if (scope.name_space.empty() || scope.Find(name) == nullptr) {
    return done(NotFoundError(serving::ModelDoesNotExist(name)));
  }
  scaler_->RequestRepositoryOp(scope.name_space, name, load, std::move(done));
}

void IsvcRepository::Load(const serving::ModelCatalog& scope, const std::string& name,
                          Done done) {
  Request(scope, name, true, std::move(done));
}

void IsvcRepository::Unload(const serving::ModelCatalog& scope, const std::string& name,
                            Done done) {
  Request(scope, name, false, std::move(done));
}

}  // namespace ferry::controller
