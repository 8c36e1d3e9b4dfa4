// FrontRoutes: what the external listener (istio-ingressgateway) serves
// besides InferenceServices — the way Kubeflow's ingress gateway has
// VirtualServices for /oauth2 and the central dashboard beside the KServe
// hosts. The GatewayPipeline picks the destination and applies the
// ingress-gateway workload's AuthorizationPolicies first, exactly as Istio
// does before routing (a DENY-all on the gateway makes them 403 `RBAC: access
// denied`; Kubeflow's own policies exclude /oauth2/* from the oauth2-proxy
// CUSTOM and require-jwt policies by notPaths, so sign-in keeps working):
//
//  - /oauth2/... on any Host → the built-in oauth2-proxy's endpoints;
//  - a Host no InferenceService has (origin-form, not a model protocol path),
//    when a dashboard is set → the dashboard, only with a live oauth2
//    session: API paths without one get 401 JSON, pages a 302 to
//    /oauth2/sign_in?rd=PATH (Kubeflow's central dashboard behind its login,
//    kept even if the gateway's policies are opened up).
//
// Who calls it: the external IngressHandler, after the pipeline. Threads:
// any (I/O threads); holds no state. Both handlers are borrowed.
#pragma once

#include "ingress/oauth2_proxy.h"
#include "http/http_types.h"

namespace ferry::ingress {

class FrontRoutes {
 public:
  explicit FrontRoutes(Oauth2Proxy* proxy) : proxy_(proxy) {}

  // Serves the dashboard on other hosts; call before serving. Without one
  // (profile none) unknown hosts reach the gateway, which answers 404.
  void SetDashboard(http::HttpHandler* dashboard) { dashboard_ = dashboard; }
  bool has_dashboard() const { return dashboard_ != nullptr; }

  void ServeOauth2(http::HttpRequest& request, http::Responder responder);
  void ServeDashboard(http::HttpRequest& request, http::Responder responder);

 private:
  Oauth2Proxy* proxy_;
  http::HttpHandler* dashboard_ = nullptr;
};

}  // namespace ferry::ingress
