// ProfileReconciler (kubeflow.org/v1 Profile), as Kubeflow's profile
// controller does it: the namespace, the default-editor/default-viewer
// ServiceAccounts and the ns-owner-access-istio policy — plus, with the
// kubeflow profile, what makes `kubectl create token default-editor -n NS`
// work at the gateway: a RequestAuthentication for Ferry's ServiceAccount
// token issuer and an ALLOW policy for that namespace's ServiceAccounts.
//
// Objects are created when missing and never overwritten; deleting a Profile
// keeps its namespace. Worker thread only.
#pragma once

#include "controller/reconciler.h"
#include "controller/reconciler_context.h"

namespace ferry::controller {

class ProfileReconciler final : public Reconciler {
 public:
  explicit ProfileReconciler(const ReconcilerContext& ctx) : ctx_(ctx) {}
  ReconcileResult Reconcile(const WorkKey& key) override;  // kProfile keys

 private:
  ReconcilerContext ctx_;
};

}  // namespace ferry::controller
