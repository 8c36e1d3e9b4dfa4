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
// The decision is the GatewayPipeline's (the same sequence as the HTTP
// listeners'); a call whose policies wait on a network peer (ext-authz,
// JWKS) is parked (ParkedCalls) and answered later, holding no gRPC thread.
//
// Threads: Route() is called concurrently from gRPC threads; a parked call
// resumes on a gRPC thread through GrpcAnswer::Post.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "gateway/request.h"
#include "ingress/parked_calls.h"
#include "serving/model_catalog.h"

namespace ferry::ingress {

struct GrpcCall {
  std::string_view authority;  // ":authority", port allowed
  std::string_view path;       // "/inference.GRPCInferenceService/ModelInfer"
  std::span<const gateway::Header> metadata;
  std::string_view peer_ip;
  uint32_t local_port = 0;
};

struct GrpcRoute {
  std::shared_ptr<const serving::ModelCatalog> catalog;       // set when allowed and routable
  Status status;                                              // otherwise why not
  std::vector<std::pair<std::string, std::string>> trailers;  // e.g. www-authenticate
};

// How Route() answers: Answer() exactly once — at once, or later (after
// Post()ing back to a gRPC thread) through the object Keep() returned.
class GrpcAnswer {
 public:
  virtual ~GrpcAnswer() = default;
  virtual void Answer(GrpcRoute route) = 0;
  virtual void Post(std::function<void()> fn) = 0;
  // An answer that stays valid after Route() returns (for a parked call).
  virtual std::unique_ptr<GrpcAnswer> Keep() = 0;
};

class GrpcIngress {
 public:
  explicit GrpcIngress(ParkedCalls* parked) : parked_(parked) {}

  // `call` is valid during the call only; `answer` until it is answered or
  // Keep() is called.
  void Route(const GrpcCall& call, GrpcAnswer* answer) const;

 private:
  ParkedCalls* parked_;
};

// The gRPC status code for a gateway denial's HTTP status (gRPC's
// "HTTP to gRPC status code mapping", 401/403 as Envoy answers gRPC).
StatusCode GrpcCodeForHttpStatus(int http_status);

}  // namespace ferry::ingress
