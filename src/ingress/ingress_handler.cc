#include "ingress/ingress_handler.h"

#include <array>
#include <random>

#include "gateway/engine.h"
#include "protocol/v2_json.h"

namespace ferry::ingress {
namespace {

std::string ErrorBody(const std::string& message) { return protocol::WriteJsonError(message); }

void Lower(std::string& s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  }
}

std::string_view RawHostWithPort(const server::HttpRequest& req) {
  std::string_view t = req.target;
  size_t scheme = t.find("://");
  if (!t.empty() && t[0] != '/' && scheme != std::string_view::npos) {
    std::string_view rest = t.substr(scheme + 3);
    return rest.substr(0, rest.find('/'));
  }
  return req.Header("host");
}

// Path with query as sent (for absolute-form: from the first '/' after the authority).
std::string_view PathAndQuery(const server::HttpRequest& req) {
  const char* begin = req.path.data();
  const char* end = req.target.data() + req.target.size();
  if (begin < req.target.data() || begin > end) return req.path;
  return std::string_view(begin, end - begin);
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

void ApplyUpstream(const gateway::Decision& d, server::HttpRequest& req) {
  if (d.upstream_remove.empty() && d.upstream_set.empty()) return;
  auto& hs = req.headers;
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

}  // namespace

server::HttpResponse DenialResponse(const gateway::Decision& d) {
  server::HttpResponse r;
  r.status = d.status;
  r.content_type = d.content_type;
  r.body = d.body;
  for (const auto& h : d.downstream_headers) {
    if (h.name == "content-type") {
      r.content_type = h.value;
    } else if (h.name != "content-length" && h.name != "date" && h.name != "server" &&
               h.name != "transfer-encoding" && h.name != "connection") {
      r.headers.emplace_back(h.name, h.value);
    }
  }
  return r;
}

server::HttpResponse NoRouteResponse(std::string_view host, bool external) {
  return server::HttpResponse::Json(
      404, ErrorBody("no InferenceService has host `" + std::string(host) + "` on the " +
                     (external ? "external" : "cluster-local") +
                     " gateway. Use the host of its URL (kubectl get inferenceservice -A shows "
                     "it) in the Host header, or point HTTP_PROXY at this listener and call "
                     "the URL itself"));
}

server::HttpResponse NotReadyResponse(const controller::ServiceRoute& route) {
  return server::HttpResponse::Json(
      503, ErrorBody("InferenceService " + route.name_space + "/" + route.name +
                     " has no ready revision: " + route.not_ready_reason +
                     " (kubectl describe inferenceservice " + route.name + " -n " +
                     route.name_space + ")"));
}

std::string RequestHost(const server::HttpRequest& request) {
  std::string host(RawHostWithPort(request));
  if (!host.empty() && host[0] == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  Lower(host);
  return host;
}

IngressHandler::IngressHandler(bool external, server::ModelRouter* router)
    : external_(external), router_(router) {}

void IngressHandler::SetRoutes(std::shared_ptr<const controller::RouteTable> routes) {
  std::lock_guard<std::mutex> lock(mu_);
  routes_ = std::move(routes);
}

void IngressHandler::SetPolicies(std::shared_ptr<const gateway::PolicySnapshot> policies) {
  std::lock_guard<std::mutex> lock(mu_);
  policies_ = std::move(policies);
}

std::shared_ptr<const controller::RouteTable> IngressHandler::routes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return routes_;
}

std::shared_ptr<const gateway::PolicySnapshot> IngressHandler::policies() const {
  std::lock_guard<std::mutex> lock(mu_);
  return policies_;
}

GatewayOutcome IngressHandler::Run(server::HttpRequest& req, const controller::RouteTable* table,
                                   const gateway::PolicySnapshot* policy,
                                   const gateway::EvalOptions& eval,
                                   std::vector<GatewayStep>* steps) const {
  GatewayOutcome out;
  out.host = RequestHost(req);
  if (table) out.route = external_ ? table->FindExternal(out.host) : table->FindInternal(out.host);

  thread_local std::vector<gateway::Header> headers;
  headers.clear();
  for (const auto& [k, v] : req.headers) headers.push_back({k, v});
  gateway::RequestAttributes attrs;
  attrs.method = req.method;
  attrs.host = RawHostWithPort(req);
  attrs.path = PathAndQuery(req);
  attrs.headers = headers;
  attrs.destination_port = req.local_port;
  attrs.source_ip = req.remote_address;

  // One Decision per thread and stage, reused: evaluation reuses its buffers.
  thread_local gateway::Decision gateway_decision, predictor_decision;
  auto evaluate = [&](WorkloadMemo& w, gateway::Decision& d) -> gateway::Decision& {
    gateway::EvalOptions opt = eval;
    opt.selected = w.SelectionIn(*policy);
    gateway::EvaluateInto(*policy, w.workload, attrs, opt, &d);
    if (steps) steps->push_back({w.workload, d});
    if (d.allowed) ApplyUpstream(d, req);
    return d;
  };
  if (external_ && policy) {
    gateway::Decision& d = evaluate(IngressGatewayMemo(), gateway_decision);
    if (!d.allowed) {
      out.kind = GatewayOutcome::Kind::kDenied;
      out.denial = std::move(d);
      return out;
    }
    headers.clear();
    for (const auto& [k, v] : req.headers) headers.push_back({k, v});
    attrs.headers = headers;
  }
  if (out.route == nullptr) {
    out.kind = GatewayOutcome::Kind::kNoRoute;
    return out;
  }
  if (policy) {
    if (external_) attrs.source_principal = gateway::kIngressGatewayPrincipal;
    gateway::Decision& d = evaluate(PredictorWorkload(*out.route), predictor_decision);
    if (!d.allowed) {
      out.kind = GatewayOutcome::Kind::kDenied;
      out.denial = std::move(d);
      return out;
    }
  }
  out.kind = out.route->revisions.empty() ? GatewayOutcome::Kind::kNotReady
                                          : GatewayOutcome::Kind::kRouted;
  return out;
}

void IngressHandler::Handle(server::HttpRequest& req, server::Responder responder) {
  auto table = routes();
  auto policy = policies();
  gateway::EvalOptions eval;
  eval.ext_authz = ext_authz_;
  GatewayOutcome out = Run(req, table.get(), policy.get(), eval, nullptr);
  switch (out.kind) {
    case GatewayOutcome::Kind::kDenied:
      return responder.Send(DenialResponse(out.denial));
    case GatewayOutcome::Kind::kNoRoute:
      return responder.Send(NoRouteResponse(out.host, external_));
    case GatewayOutcome::Kind::kNotReady:
      return responder.Send(NotReadyResponse(*out.route));
    case GatewayOutcome::Kind::kRouted:
      break;
  }
  const controller::RevisionRoute* rev = PickRevision(*out.route);
  router_->HandleWith(rev->catalog, req, std::move(responder));
}

}  // namespace ferry::ingress
