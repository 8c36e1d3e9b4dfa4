#include "controller/reconciler_context.h"

#include <nlohmann/json.hpp>

namespace ferry::controller {

StatusOr<nlohmann::json> ReconcilerContext::WriteStatus(const nlohmann::json& object) const {
  std::string before;
  if (object.contains("metadata")) before = object["metadata"].value("resourceVersion", "");
  return own_writes->Run([&] { return client->UpdateStatus(object); }, before);
}

}  // namespace ferry::controller
