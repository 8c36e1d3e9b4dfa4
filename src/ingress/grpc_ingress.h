// GrpcIngress: the gateway for `ferry up`'s V2 gRPC listener — what
// IngressHandler does for HTTP, for inference.GRPCInferenceService calls.
//
// One gRPC port serves both gateways; the `:authority` decides, like Host:
// an external host ({isvc}.{ns}.{domain}) goes through the ingress-gateway
// workload's policies and then the predictor's (with the gateway's identity
// as the peer), exactly like the external HTTP listener; a cluster-local host
// ({isvc}.{ns}.svc.cluster.local and its shorter forms) gets the predictor's
// policies only, like the cluster-local HTTP listener. An unknown authority is
// checked at the ingress gateway first, then answered NOT_FOUND. Policies see
// method POST, path `/inference.GRPCInferenceService/<Rpc>`, the call's
// metadata as headers (authorization included) and the peer address.
// Denials become gRPC statuses with Envoy's body as the message: 401 →
// UNAUTHENTICATED, 403 → PERMISSION_DENIED (others by gRPC's HTTP mapping),
// downstream headers such as www-authenticate as trailing metadata.
//
// Threads: Route() is called concurrently from gRPC threads; the snapshots
// are immutable shared_ptrs swapped under a short mutex by the controller's
// listeners (SetRoutes/SetPolicies), like IngressHandler's.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "controller/route_table.h"
#include "gateway/ext_authz.h"
#include "gateway/request.h"
#include "gateway/snapshot.h"
#include "server/model_catalog.h"

namespace ferry::ingress {

struct GrpcCall {
  std::string_view authority;  // ":authority", port allowed
  std::string_view path;       // "/inference.GRPCInferenceService/ModelInfer"
  std::span<const gateway::Header> metadata;
  std::string_view peer_ip;
  uint32_t local_port = 0;
};

struct GrpcRoute {
  std::shared_ptr<const server::ModelCatalog> catalog;        // set when allowed and routable
  Status status;                                              // otherwise why not
  std::vector<std::pair<std::string, std::string>> trailers;  // e.g. www-authenticate
};

class GrpcIngress {
 public:
  void SetRoutes(std::shared_ptr<const controller::RouteTable> routes);
  void SetPolicies(std::shared_ptr<const gateway::PolicySnapshot> policies);
  // Ext-authz clients for CUSTOM policies; must outlive this. Call before serving.
  void SetExtAuthz(const gateway::ExtAuthzRegistry* registry) { ext_authz_ = registry; }

  GrpcRoute Route(const GrpcCall& call) const;

 private:
  const gateway::ExtAuthzRegistry* ext_authz_ = nullptr;
  mutable std::mutex mu_;
  std::shared_ptr<const controller::RouteTable> routes_;     // guarded by mu_
  std::shared_ptr<const gateway::PolicySnapshot> policies_;  // guarded by mu_
};

// The gRPC status code for a gateway denial's HTTP status (gRPC's
// "HTTP to gRPC status code mapping", 401/403 as Envoy answers gRPC).
StatusCode GrpcCodeForHttpStatus(int http_status);

}  // namespace ferry::ingress
