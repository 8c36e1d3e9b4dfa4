#include "ingress/gateway_pipeline.h"

#include <array>
#include <random>

#include "gateway/path.h"

namespace ferry::ingress {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

void HostInto(std::string_view authority, std::string* out) {
  if (!authority.empty() && authority[0] == '[') {
    authority = authority.substr(0, authority.find(']') + 1);
  } else {
    authority = authority.substr(0, authority.find(':'));
  }
  out->assign(authority);
  for (char& c : *out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  }
}

const controller::RevisionRoute* PickRevision(const controller::ServiceRoute& route) {
  if (route.revisions.size() == 1) return &route.revisions[0];
  thread_local std::minstd_rand rng(std::random_device{}());
  int roll = static_cast<int>(rng() % 100);
  for (const auto& r : route.revisions) {
    if (roll < r.percent) return &r;
    roll -= r.percent;
  }
  return &route.revisions.back();
}

void ApplyUpstream(const gateway::Decision& d, HeaderList& hs) {
  for (const auto& name : d.upstream_remove) {
    std::erase_if(hs, [&](const auto& h) { return h.first == name; });
  }
  for (const auto& h : d.upstream_set) {
    std::erase_if(hs, [&](const auto& x) { return x.first == h.name; });
    hs.emplace_back(h.name, h.value);
  }
}

// A workload and its policy selection in the snapshot `snapshot_id`
// (PolicySnapshot::Select), memoized per thread so that the request path
// builds no label map and looks up no selection.
struct WorkloadMemo {
  const controller::ServiceRoute* route = nullptr;
  gateway::Workload workload;
  uint64_t snapshot_id = 0;
  const gateway::WorkloadPolicies* selected = nullptr;

  // Selection for `policy`: ids are process-unique, so a memo from a dead
  // snapshot can never match (and its pointer is never used).
  const gateway::WorkloadPolicies* SelectionIn(const gateway::PolicySnapshot& policy) {
    if (snapshot_id != policy.id()) {
      selected = policy.Select(workload);
      snapshot_id = selected ? policy.id() : 0;
    }
    return selected;
  }
};

// The predictor workload of a route. The cache entry is re-checked field by
// field, so a new route at a recycled address can never reuse a stale
// identity.
WorkloadMemo& PredictorWorkload(const controller::ServiceRoute& route) {
  thread_local std::array<WorkloadMemo, 8> cache;
  thread_local size_t next = 0;
  for (WorkloadMemo& e : cache) {
    if (e.route == &route && e.workload.name == route.name &&
        e.workload.name_space == route.name_space && e.workload.labels == route.labels) {
      return e;
    }
  }
  WorkloadMemo& e = cache[next++ % cache.size()];
  e.route = &route;
  e.workload.name_space = route.name_space;
  e.workload.name = route.name;
  e.workload.labels.clear();
  for (const auto& [k, v] : route.labels) e.workload.labels.emplace(k, v);
  e.snapshot_id = 0;
  e.selected = nullptr;
  return e;
}

WorkloadMemo& IngressGatewayMemo() {
  thread_local WorkloadMemo memo{nullptr, gateway::Workload::IngressGateway(), 0, nullptr};
  return memo;
}

// Envoy's answer to a path it cannot normalize (%00).
gateway::Decision BadRequest() {
  gateway::Decision d;
  d.allowed = false;
  d.status = 400;
  d.body = "Bad Request";
  d.content_type = "text/plain";
  d.denied_at = gateway::Decision::Stage::kBadRequest;
  return d;
}

}  // namespace

void GatewaySnapshots::SetRoutes(std::shared_ptr<const controller::RouteTable> routes) {
  std::lock_guard<std::mutex> lock(mu_);
  current_.routes = std::move(routes);
}

void GatewaySnapshots::SetPolicies(std::shared_ptr<const gateway::PolicySnapshot> policies) {
  std::lock_guard<std::mutex> lock(mu_);
  current_.policies = std::move(policies);
}

GatewaySnapshots::View GatewaySnapshots::Load() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

std::string HostOf(std::string_view authority) {
  std::string host;
  HostInto(authority, &host);
  return host;
}

bool IsModelPath(std::string_view p) {
  return StartsWith(p, "/v1/") || StartsWith(p, "/v2/") || p == "/v2" || p == "/invocations" ||
         p == "/ping";
}

namespace {

// The request's path under the snapshot's normalization; false: 400.
bool Normalize(const GatewayInput& in, const gateway::PolicySnapshot* policy, GatewayOutcome* out) {
  thread_local std::string scratch;
  gateway::NormalizedPath np = gateway::NormalizePath(
      in.target, policy ? policy->path_normalization() : gateway::PathNormalization::kBase,
      &scratch);
  if (!np.ok) {
    out->kind = GatewayOutcome::Kind::kDenied;
    out->denial = BadRequest();
    return false;
  }
  out->path = np.path;
  out->query = np.query;
  out->path_changed = np.path != in.target.substr(0, in.target.find('?'));
  return true;
}

// Host → route and destination (on the normalized path). Returns whether the
// request comes through the ingress gateway.
bool Route(const GatewayInput& in, const controller::RouteTable* table, GatewayOutcome* out) {
  thread_local std::string host;
  HostInto(in.authority, &host);
  out->host = host;
  bool through_gateway = in.listener != Listener::kInternal;
  if (table) {
    if (in.listener == Listener::kInternal) {
      out->route = table->FindInternal(host);
    } else {
      out->route = table->FindExternal(host);
      if (out->route == nullptr && in.listener == Listener::kGrpc &&
          (out->route = table->FindInternal(host)) != nullptr) {
        through_gateway = false;
      }
    }
  }
  if (in.oauth2_routes && StartsWith(out->path, "/oauth2/")) {
    out->destination = Destination::kOauth2;
  } else if (in.dashboard_routes && !in.absolute_form && !IsModelPath(out->path) &&
             out->route == nullptr) {
    out->destination = Destination::kDashboard;
  }
  return through_gateway;
}

// Evaluates workloads for one Evaluate() call, into per-thread Decisions.
class WorkloadStage {
 public:
  WorkloadStage(const GatewayInput& in, const HeaderList& headers, GatewayProgress& progress,
                const gateway::ExtAuthzRegistry* ext_authz, bool explain,
                std::vector<GatewayStep>* steps, GatewayOutcome* out)
      : headers_(headers), progress_(progress), steps_(steps), out_(out) {
    attrs_.method = in.grpc ? std::string_view("POST") : in.method;
    attrs_.host = in.authority;
    attrs_.path = in.target;
    attrs_.destination_port = in.local_port;
    attrs_.source_ip = in.source_ip;
    opt_.explain = explain;
    opt_.ext_authz = ext_authz;
    opt_.can_park = true;  // never wait on a network peer here
  }

  void SetPeer(std::string_view principal) { attrs_.source_principal = principal; }

  // False when the request stops at this workload (out filled: denied or pending).
  bool Run(const gateway::PolicySnapshot& policy, WorkloadMemo& w, gateway::Decision& d) {
    thread_local std::vector<gateway::Header> views;
    views.clear();
    for (const auto& [k, v] : headers_) views.push_back({k, v});
    attrs_.headers = views;
    opt_.ext_authz_result = progress_.ext_authz ? &*progress_.ext_authz : nullptr;
    opt_.jwks_wait_over = progress_.jwks_wait_over;
    opt_.selected = w.SelectionIn(policy);
    gateway::EvaluateInto(policy, w.workload, attrs_, opt_, &d);
    if (d.parked()) {
      out_->kind = GatewayOutcome::Kind::kPending;
      out_->pending = std::move(d.pending);
      return false;
    }
    if (steps_) steps_->push_back({w.workload, d});
    if (!d.allowed) {
      out_->kind = GatewayOutcome::Kind::kDenied;
      out_->denial = std::move(d);
      return false;
    }
    return true;
  }

 private:
  const HeaderList& headers_;
  GatewayProgress& progress_;
  std::vector<GatewayStep>* steps_;
  GatewayOutcome* out_;
  gateway::RequestAttributes attrs_;
  gateway::EvalOptions opt_;
};

}  // namespace

GatewayOutcome GatewayPipeline::Evaluate(const GatewayInput& in, HeaderList& headers,
                                         GatewayProgress& progress, bool explain,
                                         std::vector<GatewayStep>* steps) const {
  if (!progress.loaded) {
    progress.view = snapshots_->Load();
    progress.loaded = true;
  }
  const gateway::PolicySnapshot* policy = progress.view.policies.get();
  GatewayOutcome out;
  if (!Normalize(in, policy, &out)) return out;
  bool through_gateway = Route(in, progress.view.routes.get(), &out);
  WorkloadStage stage(in, headers, progress, ext_authz_, explain, steps, &out);
  // One Decision per thread and workload kind, reused: evaluation keeps its buffers.
  thread_local gateway::Decision gateway_decision, predictor_decision;

  if (progress.stage == GatewayProgress::Stage::kIngressGateway) {
    if (through_gateway && policy) {
      if (!stage.Run(*policy, IngressGatewayMemo(), gateway_decision)) return out;
      if (out.destination == Destination::kModel) ApplyUpstream(gateway_decision, headers);
    }
    progress.stage = GatewayProgress::Stage::kPredictor;  // the results parked for were spent
    progress.ext_authz.reset();
    progress.jwks_wait_over = false;
  }
  if (out.destination != Destination::kModel) {
    out.kind = GatewayOutcome::Kind::kRouted;
    return out;
  }
  if (out.route == nullptr) {
    out.kind = GatewayOutcome::Kind::kNoRoute;
    return out;
  }
  if (policy) {
    if (through_gateway) {
      stage.SetPeer(gateway::kIngressGatewayPrincipal);
    } else if (!in.peer_principal.empty()) {
      stage.SetPeer(in.peer_principal);
    }
    if (!stage.Run(*policy, PredictorWorkload(*out.route), predictor_decision)) return out;
    ApplyUpstream(predictor_decision, headers);
  }
  if (out.route->is_graph) {  // served by its router, in process (graph_dispatch.h)
    out.kind = out.route->graph ? GatewayOutcome::Kind::kRouted : GatewayOutcome::Kind::kNotReady;
    return out;
  }
  if (out.route->revisions.empty()) {
    out.kind = GatewayOutcome::Kind::kNotReady;
    return out;
  }
  out.kind = GatewayOutcome::Kind::kRouted;
  out.revision = PickRevision(*out.route);
  return out;
}

}  // namespace ferry::ingress
