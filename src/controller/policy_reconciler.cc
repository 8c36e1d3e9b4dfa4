#include "controller/policy_reconciler.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "api/manifest.h"

namespace ferry::controller {

ReconcileResult PolicyReconciler::Reconcile(const WorkKey&) {
  gateway::SnapshotOptions snapshot_options;
  snapshot_options.jwks_cache = ctx_.options->jwks_cache;
  gateway::PolicySnapshotBuilder builder(snapshot_options);
  auto cm = ctx_.client->Get("v1", "ConfigMap", "istio-system", "istio");
  if (cm.ok() && cm->contains("data") && (*cm)["data"].contains("mesh")) {
    auto mesh = api::ParseOneManifest((*cm)["data"]["mesh"].get<std::string>());
    if (mesh.ok()) {
      Status s = builder.SetMeshConfig(*mesh);
      if (!s.ok()) std::fprintf(stderr, "ferry: mesh config: %s\n", s.message().c_str());
    }
  }
  for (const char* kind : {"AuthorizationPolicy", "RequestAuthentication"}) {
    auto list = ctx_.client->List("security.istio.io/v1", kind, "");
    if (!list.ok()) continue;
    for (const auto& item : (*list)["items"]) {
      Status s = builder.Add(item);
      if (!s.ok()) std::fprintf(stderr, "ferry: skipping %s: %s\n", kind, s.message().c_str());
    }
  }
  if (listener_) listener_(builder.Build());
  return {};
}

}  // namespace ferry::controller
