// ExternalFront: what the external listener (istio-ingressgateway) serves
// before the gateway routes a request to an InferenceService — the way
// Kubeflow's ingress gateway has VirtualServices for /oauth2 and the central
// dashboard besides the KServe hosts.
//
//  - /oauth2/... on any Host → the built-in oauth2-proxy's endpoints
//    (oauth2-proxy has its own VirtualService in Kubeflow and is excluded
//    from the CUSTOM and require-jwt policies by `notPaths: /oauth2/*`);
//  - a Host that is an InferenceService's (or an absolute-form target) →
//    the IngressHandler (policies, then the model);
//  - any other Host, when a dashboard is set → the dashboard, only with a
//    live oauth2 session: API paths without one get 401 JSON, pages a 302 to
//    /oauth2/sign_in?rd=PATH (Kubeflow's central dashboard behind its login).
//
// Who calls it: `ferry up` puts it on the external listener. Threads: Handle
// runs on I/O threads; the route table is a shared_ptr snapshot swapped under
// a short mutex. All handlers are borrowed.
#pragma once

#include <memory>
#include <mutex>

#include "controller/route_table.h"
#include "ingress/oauth2_proxy.h"
#include "server/http_types.h"

namespace ferry::ingress {

class ExternalFront : public server::HttpHandler {
 public:
  ExternalFront(Oauth2Proxy* proxy, server::HttpHandler* gateway)
      : proxy_(proxy), gateway_(gateway) {}

  // Serves the dashboard on other hosts; call before serving. Without one
  // (profile none) unknown hosts reach the gateway, which answers 404.
  void SetDashboard(server::HttpHandler* dashboard) { dashboard_ = dashboard; }

  void SetRoutes(std::shared_ptr<const controller::RouteTable> routes);

  void Handle(server::HttpRequest& request, server::Responder responder) override;

 private:
  Oauth2Proxy* proxy_;
  server::HttpHandler* gateway_;
  server::HttpHandler* dashboard_ = nullptr;
  std::mutex mu_;
  std::shared_ptr<const controller::RouteTable> routes_;  // guarded by mu_
};

}  // namespace ferry::ingress
