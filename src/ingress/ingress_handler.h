// IngressHandler: the in-process Istio gateway + sidecar. One instance per
// listener: the external one (the `istio-ingressgateway` Service, Hosts
// {isvc}.{ns}.{domain}) and the internal one (`cluster-local-gateway`, Hosts
// {isvc}.{ns}.svc.cluster.local and friends).
//
// Per request: take the Host (absolute-form request targets included, so
// HTTP_PROXY clients work), find the InferenceService, run the gateway's
// AuthorizationPolicy/RequestAuthentication checks — for external calls at
// the ingress-gateway workload first, then at the predictor workload with the
// gateway's identity as the peer — apply the header mutations, pick a
// revision by traffic split and hand the request to the ModelRouter. No proxy
// hop, no copy of the body.
//
// Threads: Handle runs on I/O threads; the route table and policy snapshot
// are immutable shared_ptr snapshots swapped by the controller. Run() is the
// decision part of Handle(), shared with the authorization check
// (authz_check.h) so that the check can never disagree with the listener.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "controller/route_table.h"
#include "gateway/engine.h"
#include "gateway/ext_authz.h"
#include "gateway/snapshot.h"
#include "server/http_types.h"
#include "server/model_router.h"

namespace ferry::ingress {

// What the gateway checks decided for one request.
struct GatewayOutcome {
  enum class Kind { kDenied, kNoRoute, kNotReady, kRouted };
  Kind kind = Kind::kRouted;
  gateway::Decision denial;                         // kDenied
  const controller::ServiceRoute* route = nullptr;  // kNotReady / kRouted (owned by the table)
  std::string host;                                 // lower case, no port
};

// One workload's evaluation (recorded only when explaining).
struct GatewayStep {
  gateway::Workload workload;
  gateway::Decision decision;
};

class IngressHandler : public server::HttpHandler {
 public:
  IngressHandler(bool external, server::ModelRouter* router);

  void SetRoutes(std::shared_ptr<const controller::RouteTable> routes);
  void SetPolicies(std::shared_ptr<const gateway::PolicySnapshot> policies);
  // Ext-authz clients for CUSTOM policies (built-ins such as oauth2-proxy);
  // must outlive the handler. Call before serving.
  void SetExtAuthz(const gateway::ExtAuthzRegistry* registry) { ext_authz_ = registry; }

  void Handle(server::HttpRequest& request, server::Responder responder) override;

  // Routing and the gateway/predictor policy checks of Handle(); applies the
  // allowed header mutations to `request`. With `steps`, every workload's
  // decision is recorded (evaluate with options.explain for the reasons).
  GatewayOutcome Run(server::HttpRequest& request, const controller::RouteTable* routes,
                     const gateway::PolicySnapshot* policies, const gateway::EvalOptions& options,
                     std::vector<GatewayStep>* steps) const;

  std::shared_ptr<const controller::RouteTable> routes() const;
  std::shared_ptr<const gateway::PolicySnapshot> policies() const;
  const gateway::ExtAuthzRegistry* ext_authz() const { return ext_authz_; }
  bool external() const { return external_; }
  // The listener's port (destination.port of requests), for the authz check.
  void SetListenPort(uint16_t port) { listen_port_ = port; }
  uint16_t listen_port() const { return listen_port_; }

 private:
  const bool external_;
  server::ModelRouter* router_;
  const gateway::ExtAuthzRegistry* ext_authz_ = nullptr;
  std::atomic<uint16_t> listen_port_{0};
  mutable std::mutex mu_;
  std::shared_ptr<const controller::RouteTable> routes_;     // guarded by mu_
  std::shared_ptr<const gateway::PolicySnapshot> policies_;  // guarded by mu_
};

// What the client gets for a denial / an unknown host / a route without a
// ready revision.
server::HttpResponse DenialResponse(const gateway::Decision& decision);
server::HttpResponse NoRouteResponse(std::string_view host, bool external);
server::HttpResponse NotReadyResponse(const controller::ServiceRoute& route);

// Host of a request: the authority of an absolute-form target, else the Host
// header; lower-cased, port removed.
std::string RequestHost(const server::HttpRequest& request);

}  // namespace ferry::ingress
