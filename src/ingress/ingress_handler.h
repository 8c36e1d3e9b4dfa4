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
// are immutable shared_ptr snapshots swapped by the controller.
#pragma once

#include <memory>
#include <mutex>

#include "controller/route_table.h"
#include "gateway/ext_authz.h"
#include "gateway/snapshot.h"
#include "server/http_types.h"
#include "server/model_router.h"

namespace ferry::ingress {

class IngressHandler : public server::HttpHandler {
 public:
  IngressHandler(bool external, server::ModelRouter* router);

  void SetRoutes(std::shared_ptr<const controller::RouteTable> routes);
  void SetPolicies(std::shared_ptr<const gateway::PolicySnapshot> policies);
  // Ext-authz clients for CUSTOM policies (built-ins such as oauth2-proxy);
  // must outlive the handler. Call before serving.
  void SetExtAuthz(const gateway::ExtAuthzRegistry* registry) { ext_authz_ = registry; }

  void Handle(server::HttpRequest& request, server::Responder responder) override;

 private:
  std::shared_ptr<const controller::RouteTable> routes() const;
  std::shared_ptr<const gateway::PolicySnapshot> policies() const;

  const bool external_;
  server::ModelRouter* router_;
  const gateway::ExtAuthzRegistry* ext_authz_ = nullptr;
  mutable std::mutex mu_;
  std::shared_ptr<const controller::RouteTable> routes_;        // guarded by mu_
  std::shared_ptr<const gateway::PolicySnapshot> policies_;     // guarded by mu_
};

// Host of a request: the authority of an absolute-form target, else the Host
// header; lower-cased, port removed.
std::string RequestHost(const server::HttpRequest& request);

}  // namespace ferry::ingress
