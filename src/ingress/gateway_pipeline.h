// GatewayPipeline: the one sequence every request through Ferry's gateways
// takes, whatever carried it — the HTTP listeners (IngressHandler), the V2
// gRPC listener (GrpcIngress) and `ferry authz check` (explain mode):
//
//   normalize the path (MeshConfig pathNormalization) → host → route
//   (/oauth2/*, the dashboard host, or an InferenceService) → the
//   ingress-gateway workload's policies (external listener) → the
//   predictor workload's policies (peer = the gateway's identity when the
//   request came through it) → revision pick by traffic split.
//
// Header mutations of an allowed workload (ext-authz headersToUpstream, JWT
// claim headers, token removal) are applied to the request's headers before
// the next workload is evaluated, as Envoy forwards them. The route is taken
// on the normalized path, and a request to a model is forwarded with it:
// what was authorized is what is served. /oauth2/* and the dashboard are
// Ferry's own in-process handlers that authenticate the session cookie
// themselves; they get the request's headers as the client sent them.
//
// Never waits: when a workload's evaluation needs a network peer (a CUSTOM
// provider over HTTP, JWKS keys whose first fetch is running) Evaluate()
// returns kPending with the work to do; the caller parks the request
// (ParkedCalls) and, once the work is done, calls Evaluate() again with the
// same progress, which continues at the workload where it stopped.
//
// GatewaySnapshots is the one holder of the route table and the policy
// snapshot: the controller publishes to it, every user reads it. A request
// keeps the snapshots it started with (GatewayProgress::view) until it ends.
//
// Threads: Evaluate() runs on any thread, concurrently; per-thread memos keep
// the steady state of an allowed request free of policy-selection lookups
// and allocations in the engine (gateway::EvaluateInto).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/route_table.h"
#include "gateway/engine.h"
#include "gateway/ext_authz.h"
#include "gateway/snapshot.h"

namespace ferry::ingress {

class GatewaySnapshots {
 public:
  struct View {
    std::shared_ptr<const controller::RouteTable> routes;     // null until the first publish
    std::shared_ptr<const gateway::PolicySnapshot> policies;  // null: all open (starting)
  };
  // Called by the controller's worker with every new snapshot.
  void SetRoutes(std::shared_ptr<const controller::RouteTable> routes);
  void SetPolicies(std::shared_ptr<const gateway::PolicySnapshot> policies);
  View Load() const;

 private:
  mutable std::mutex mu_;
  View current_;  // guarded by mu_
};

// Which listener a request came in on. kGrpc serves both gateways: an
// external :authority (or an unknown one) meets the ingress gateway first, a
// cluster-local one only its predictor.
enum class Listener : uint8_t { kExternal, kInternal, kGrpc };

// Where an allowed request goes.
enum class Destination : uint8_t { kModel, kOauth2, kDashboard };

// The request as the pipeline sees it. Views; valid for one Evaluate() call.
struct GatewayInput {
  Listener listener = Listener::kExternal;
  bool oauth2_routes = false;     // external HTTP: /oauth2/* goes to the oauth2-proxy
  bool dashboard_routes = false;  // external HTTP: other hosts go to the dashboard
  bool grpc = false;              // the method is always POST, the path the RPC's
  std::string_view method;
  std::string_view authority;  // Host / :authority, port included
  std::string_view target;     // path and query as sent (origin form)
  bool absolute_form = false;  // the client sent an absolute URL (HTTP_PROXY)
  std::string_view source_ip;
  uint32_t local_port = 0;
  // kInternal: the caller's mTLS identity (an InferenceGraph's router calling a step); empty:
  // none, as a plain cluster-local request.
  std::string_view peer_principal;
};

// Request headers: lower-case names, duplicates in order. Mutated in place.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// One workload's evaluation (recorded only when explaining).
struct GatewayStep {
  gateway::Workload workload;
  gateway::Decision decision;
};

// Where an evaluation stands; a parked request keeps it.
struct GatewayProgress {
  enum class Stage : uint8_t { kIngressGateway, kPredictor };
  Stage stage = Stage::kIngressGateway;
  GatewaySnapshots::View view;  // loaded by the first Evaluate(); kept to the end
  bool loaded = false;
  // Results of the work the current stage parked for.
  std::optional<StatusOr<gateway::ExtAuthzResponse>> ext_authz;
  bool jwks_wait_over = false;
};

struct GatewayOutcome {
  enum class Kind : uint8_t { kDenied, kNoRoute, kNotReady, kRouted, kPending };
  Kind kind = Kind::kRouted;
  Destination destination = Destination::kModel;
  gateway::Decision denial;                             // kDenied
  const controller::ServiceRoute* route = nullptr;      // kModel: kNotReady / kRouted
  const controller::RevisionRoute* revision = nullptr;  // kModel: kRouted
  std::string_view host;      // lower case, no port (valid until the next Evaluate on this thread)
  std::string_view path;      // normalized, no query (same validity)
  std::string_view query;     // "?..." or empty
  bool path_changed = false;  // path differs from the one sent
  gateway::PendingWork pending;  // kPending
};

class GatewayPipeline {
 public:
  // Both borrowed; must outlive the pipeline. `ext_authz`: the in-process
  // providers (oauth2-proxy); others are reached over HTTP.
  GatewayPipeline(const GatewaySnapshots* snapshots, const gateway::ExtAuthzRegistry* ext_authz)
      : snapshots_(snapshots), ext_authz_(ext_authz) {}

  // Runs the sequence from `progress` on. `headers` get the allowed
  // workloads' mutations. With `steps`, every finished workload evaluation
  // is appended (with explanations when `explain`).
  GatewayOutcome Evaluate(const GatewayInput& in, HeaderList& headers, GatewayProgress& progress,
                          bool explain = false, std::vector<GatewayStep>* steps = nullptr) const;

  const GatewaySnapshots& snapshots() const { return *snapshots_; }

 private:
  const GatewaySnapshots* snapshots_;
  const gateway::ExtAuthzRegistry* ext_authz_;
};

// Host of an authority: lower-cased, port removed (IPv6 literals keep their
// brackets).
std::string HostOf(std::string_view authority);

// True for the paths of the model protocols (V1, V2, MLflow scoring).
bool IsModelPath(std::string_view path);

}  // namespace ferry::ingress
