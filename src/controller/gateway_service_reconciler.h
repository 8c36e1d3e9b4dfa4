// GatewayServiceReconciler: the gateway Services of the tutorial's step 0.
// istio-system/istio-ingressgateway and cluster-local-gateway: their
// spec.type decides where the matching listener binds (ClusterIP: loopback
// only, like a cluster-internal Service; LoadBalancer/NodePort: all
// interfaces — the listener is told through the GatewayListener) and, for a
// LoadBalancer, status.loadBalancer.ingress[0].ip carries the external
// address, so `kubectl get svc -n istio-system` shows EXTERNAL-IP. A new IP
// requeues the Jobs (Knative's default-domain Job waits for it).
// Worker thread only.
#pragma once

#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "controller/reconciler.h"
#include "controller/reconciler_context.h"

namespace ferry::controller {

class GatewayServiceReconciler final : public Reconciler {
 public:
  using GatewayListener = Controller::GatewayListener;

  explicit GatewayServiceReconciler(const ReconcilerContext& ctx) : ctx_(ctx) {}
  void SetListener(GatewayListener listener) { listener_ = std::move(listener); }

  ReconcileResult Reconcile(const WorkKey& key) override;  // kGatewayService keys

 private:
  ReconcilerContext ctx_;
  GatewayListener listener_;
};

// status.loadBalancer.ingress[0].ip of a Service, or "".
std::string LoadBalancerIp(const nlohmann::json& service);

}  // namespace ferry::controller
