// GraphReconciler: KServe's InferenceGraph controller for Ferry. Where KServe resolves each
// `serviceName` step to its InferenceService's predictor URL and runs a router pod as a Knative
// Service, this reconciler resolves each step to the service's cluster-local host and model
// path (V1 or V2 by its protocolVersion) and publishes the graph with the routes
// (ServingState::graphs, RouteTable hosts `{name}.{ns}.{domain}` and `{name}.{ns}.svc...`);
// ingress runs it in process. Status as KServe copies it from the Knative Service: url (when
// Ready) and the conditions ConfigurationsReady, Ready, RoutesReady; Events
// InferenceGraphReady / InferenceGraphNotReady on a change.
//
// A graph is Ready once every `serviceName` names an InferenceService of the namespace that is
// Ready (KServe requeues until each has an address); until then it is not routed and its
// status says which step waits on what. Worker thread only (Reconciler contract); it polls its
// services (1 s while not ready, 5 s after), as their readiness is not an event it sees.
#pragma once

#include "controller/events.h"
#include "controller/reconciler.h"
#include "controller/reconciler_context.h"
#include "controller/serving_state.h"

namespace ferry::controller {

class GraphReconciler : public Reconciler {
 public:
  GraphReconciler(ReconcilerContext ctx, ServingState* serving, EventRecorder* events)
      : ctx_(ctx), serving_(serving), events_(events) {}

  ReconcileResult Reconcile(const WorkKey& key) override;

 private:
  // Resolves serviceName steps in `g`; empty when all are ready, else why not (reason, message).
  std::pair<std::string, std::string> Resolve(const std::string& ns, graph::Graph* g);
  ReconcileResult WriteStatus(const nlohmann::json& obj, const GraphState& st);

  ReconcilerContext ctx_;
  ServingState* serving_;
  EventRecorder* events_;
};

}  // namespace ferry::controller
