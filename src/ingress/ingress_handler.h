// IngressHandler: the in-process Istio gateway + sidecar for HTTP. One
// instance per listener: the external one (the `istio-ingressgateway`
// Service: Hosts {isvc}.{ns}.{domain}, plus Kubeflow's /oauth2/* and central
// dashboard routes) and the internal one (`cluster-local-gateway`, Hosts
// {isvc}.{ns}.svc.cluster.local and friends).
//
// Per request: the GatewayPipeline decides (path normalization, host, route,
// the ingress-gateway's and the predictor's policies, revision); this class
// adapts HTTP to it — the Host of absolute-form targets (HTTP_PROXY clients),
// the request headers it mutates — and hands the request on: to the
// ModelRouter with the normalized path (no proxy hop, no copy of the body),
// to the oauth2-proxy's endpoints, or to the dashboard (FrontRoutes). A
// request whose policies wait on a network peer is parked (ParkedCalls) and
// answered through its Responder once the pipeline is done; the connection's
// I/O thread serves other requests meanwhile, and a client that closes its
// connection cancels the wait.
//
// Threads: Handle runs on I/O threads and resumes there. Everything it uses
// is borrowed and must outlive it.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "controller/route_table.h"
#include "gateway/engine.h"
#include "ingress/gateway_pipeline.h"
#include "ingress/oauth2_routes.h"
#include "ingress/parked_calls.h"
#include "http/http_types.h"
#include "server/model_router.h"

namespace ferry::ingress {

class IngressHandler : public http::HttpHandler {
 public:
  IngressHandler(bool external, ParkedCalls* parked, server::ModelRouter* router);

  // External listener: /oauth2/* and (when it has a dashboard) other hosts.
  // Call before serving.
  void SetFrontRoutes(FrontRoutes* front) { front_ = front; }

  void Handle(http::HttpRequest& request, http::Responder responder) override;

  // The pipeline's view of `request` on this listener (views into it).
  GatewayInput InputFor(const http::HttpRequest& request) const;

  const GatewayPipeline& pipeline() const { return parked_->pipeline(); }
  ParkedCalls* parked() const { return parked_; }
  bool external() const { return external_; }
  // The listener's port (destination.port of requests), for the authz check.
  void SetListenPort(uint16_t port) { listen_port_ = port; }
  uint16_t listen_port() const { return listen_port_; }

  // Answers `outcome` for `request`: the denial, or the destination.
  void Dispatch(http::HttpRequest& request, http::Responder responder, GatewayOutcome& outcome);

 private:
  void Park(http::HttpRequest& request, http::Responder responder, GatewayProgress progress,
            gateway::PendingWork work);

  const bool external_;
  ParkedCalls* parked_;
  server::ModelRouter* router_;
  FrontRoutes* front_ = nullptr;
  std::atomic<uint16_t> listen_port_{0};
};

// What the client gets for a denial / an unknown host / a route without a
// ready revision.
http::HttpResponse DenialResponse(const gateway::Decision& decision);
http::HttpResponse NoRouteResponse(std::string_view host, bool external);
http::HttpResponse NotReadyResponse(const controller::ServiceRoute& route);

// Host of a request: the authority of an absolute-form target, else the Host
// header; lower-cased, port removed.
std::string RequestHost(const http::HttpRequest& request);

}  // namespace ferry::ingress
