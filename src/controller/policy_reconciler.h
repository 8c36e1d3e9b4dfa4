// PolicyReconciler: istiod's part — every AuthorizationPolicy and
// RequestAuthentication plus the mesh config (istio-system/istio, its
// extensionProviders for CUSTOM policies) compiled into one immutable
// gateway::PolicySnapshot, handed to the listener on every change. A policy
// that does not compile is skipped with a line on stderr (the API already
// refused what validation can catch). Worker thread only.
#pragma once

#include "controller/reconciler.h"
#include "controller/reconciler_context.h"

namespace ferry::controller {

class PolicyReconciler final : public Reconciler {
 public:
  using PoliciesListener = Controller::PoliciesListener;

  explicit PolicyReconciler(const ReconcilerContext& ctx) : ctx_(ctx) {}
  void SetListener(PoliciesListener listener) { listener_ = std::move(listener); }

  ReconcileResult Reconcile(const WorkKey& key) override;  // the kPolicies key

 private:
  ReconcilerContext ctx_;
  PoliciesListener listener_;
};

}  // namespace ferry::controller
