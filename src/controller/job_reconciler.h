// JobReconciler (batch/v1 Jobs). Ferry runs no containers. The one Job it
// recognises is Knative's `default-domain` (image path ending in
// knative.dev/serving/cmd/default-domain): it runs that logic natively —
// wait for istio-ingressgateway's load-balancer IP, set config-domain to
// `<ip>.<magic-dns>` — and marks the Job Complete, or Failed at its
// activeDeadlineSeconds. Any other Job is stored and marked Failed
// (NotRunnable). A finished Job is left alone. Worker thread only.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "controller/reconciler.h"
#include "controller/reconciler_context.h"

namespace ferry::controller {

class JobReconciler final : public Reconciler {
 public:
  explicit JobReconciler(const ReconcilerContext& ctx) : ctx_(ctx) {}
  ReconcileResult Reconcile(const WorkKey& key) override;  // kJob keys

 private:
  ReconcilerContext ctx_;
  // When each waiting default-domain Job was first seen (for its deadline).
  std::map<std::string, std::chrono::steady_clock::time_point> started_;
};

}  // namespace ferry::controller
