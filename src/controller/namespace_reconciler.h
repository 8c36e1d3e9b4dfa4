// NamespaceReconciler: kube-controller-manager's serviceaccount controller —
// every namespace has a ServiceAccount `default` (created with the namespace,
// recreated when deleted). Worker thread only.
#pragma once

#include "controller/reconciler.h"
#include "controller/reconciler_context.h"

namespace ferry::controller {

class NamespaceReconciler final : public Reconciler {
 public:
  explicit NamespaceReconciler(const ReconcilerContext& ctx) : ctx_(ctx) {}
  ReconcileResult Reconcile(const WorkKey& key) override;  // kNamespace keys

 private:
  ReconcilerContext ctx_;
};

}  // namespace ferry::controller
