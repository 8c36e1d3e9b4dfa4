// DomainReconciler: Knative's config-domain (knative-serving/config-domain)
// → the domains of InferenceService URLs. Each key is a domain; an empty
// value makes it the default, a value `selector: {label: value}` applies to
// services carrying those labels (the most specific matching selector wins).
// A change republishes the routes and requeues every InferenceService (its
// status.url changes). Worker thread only.
#pragma once

#include "controller/reconciler.h"
#include "controller/reconciler_context.h"
#include "controller/serving_state.h"

namespace ferry::controller {

class DomainReconciler final : public Reconciler {
 public:
  DomainReconciler(const ReconcilerContext& ctx, ServingState* serving)
      : ctx_(ctx), serving_(serving) {}
  ReconcileResult Reconcile(const WorkKey& key) override;  // the kDomain key

 private:
  DomainConfig Read() const;

  ReconcilerContext ctx_;
  ServingState* serving_;
  bool read_once_ = false;
};

}  // namespace ferry::controller
