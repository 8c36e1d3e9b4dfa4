// ProfileReconciler (kubeflow.org Profile), as Kubeflow 1.9's profile
// controller does it (kubeflow/profile_objects.h has the objects): the
// namespace (labels, `owner` annotation; an existing namespace of another
// owner is refused with a Failed condition), the default-editor and
// default-viewer ServiceAccounts and their RoleBindings, the owner's
// namespaceAdmin RoleBinding, kf-resource-quota from spec.resourceQuotaSpec
// (deleted when that has no limits), the `profile-finalizer` finalizer and a
// status condition. With the kubeflow profile also ns-owner-access-istio and
// what makes `kubectl create token default-editor -n NS` work at the gateway:
// a RequestAuthentication for Ferry's ServiceAccount token issuer and an
// ALLOW policy for that namespace's ServiceAccounts.
//
// Every object carries the Profile as controller ownerReference: the
// controller watches them (controller.cc maps their events to the owning
// Profile), so an edit of ns-owner-access-istio's spec, a RoleBinding's
// subjects or the quota is reverted and a deleted object is recreated; and
// deleting the Profile deletes them (the API's garbage collection). On a
// Profile being deleted it only removes its finalizer. Worker thread only.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "controller/reconciler.h"
#include "controller/reconciler_context.h"

namespace ferry::controller {

class ProfileReconciler final : public Reconciler {
 public:
  explicit ProfileReconciler(const ReconcilerContext& ctx) : ctx_(ctx) {}
  ReconcileResult Reconcile(const WorkKey& key) override;  // kProfile keys

 private:
  // Each returns an error message for the Profile's status ("" = done).
  std::string EnsureNamespace(const nlohmann::json& profile);
  std::string EnsureOwned(const nlohmann::json& desired);
  std::string EnsureBinding(const nlohmann::json& desired);
  std::string EnsureQuota(const nlohmann::json& profile);
  std::string EnsurePolicy(const nlohmann::json& desired);
  std::string EnsureTokenPolicies(const nlohmann::json& profile);
  bool SetCondition(const nlohmann::json& profile, const std::string& type,
                    const std::string& message);

  ReconcilerContext ctx_;
};

}  // namespace ferry::controller
