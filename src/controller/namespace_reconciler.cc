#include "controller/namespace_reconciler.h"

#include <nlohmann/json.hpp>

namespace ferry::controller {

ReconcileResult NamespaceReconciler::Reconcile(const WorkKey& key) {
  api::ResourceClient& client = *ctx_.client;
  auto ns = client.Get("v1", "Namespace", "", key.name);
  if (!ns.ok() || (*ns)["metadata"].contains("deletionTimestamp")) return {};
  if (client.Get("v1", "ServiceAccount", key.name, "default").ok()) return {};
  auto created = client.Create({{"apiVersion", "v1"},
                                {"kind", "ServiceAccount"},
                                {"metadata", {{"name", "default"}, {"namespace", key.name}}}});
  bool retry = !created.ok() && created.status().code() != StatusCode::kAlreadyExists &&
               created.status().code() != StatusCode::kNotFound;
  return {.requeue_after = retry ? std::chrono::milliseconds(1000) : std::chrono::milliseconds(0)};
}

}  // namespace ferry::controller
