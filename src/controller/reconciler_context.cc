#include "controller/reconciler_context.h"

#include <nlohmann/json.hpp>

namespace ferry::controller {

StatusOr<nlohmann::json> ReconcilerContext::WriteStatus(const nlohmann::json& object) const {
  std::string before;
  if (object.contains("metadata")) before = object["metadata"].value("resourceVersion", "");
  auto res = client->UpdateStatus(object);
  if (res.ok()) own_writes->Record(*res, before);
  return res;
}

}  // namespace ferry::controller
