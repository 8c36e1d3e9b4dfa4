#include "ingress/grpc_ingress.h"

#include <cctype>
#include <random>

#include "gateway/engine.h"

namespace ferry::ingress {
namespace {

// Authority without port, lower-case (IPv6 literals keep their brackets).
std::string HostOf(std::string_view authority) {
  std::string host(authority);
  if (!host.empty() && host[0] == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return host;
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

GrpcRoute Denied(const gateway::Decision& d) {
  GrpcRoute out;
  if (d.close_connection) {
    out.status = UnavailableError("the connection was closed by a TCP AuthorizationPolicy");
    return out;
  }
  std::string body =
      d.body.empty() ? "access denied (HTTP " + std::to_string(d.status) + ")" : d.body;
  // A login page (oauth2-proxy) means nothing to a gRPC client: say what to send instead.
  if (d.content_type.find("html") != std::string::npos || body.rfind("<", 0) == 0) {
    body = "access denied by the gateway's login (HTTP " + std::to_string(d.status) +
           ", a sign-in page): gRPC clients send `authorization: Bearer TOKEN` metadata, e.g. "
           "TOKEN=$(kubectl create token default-editor -n NAMESPACE)";
  }
  out.status = Status(GrpcCodeForHttpStatus(d.status), std::move(body));
  for (const auto& h : d.downstream_headers) {
    if (h.name != "content-type" && h.name != "content-length" && h.name != "date" &&
        h.name != "server") {
      out.trailers.emplace_back(h.name, h.value);
    }
  }
  return out;
}

// The gateway's upstream header removals and overrides applied to `in`.
void ApplyUpstream(const gateway::Decision& d, std::span<const gateway::Header> in,
                   std::vector<gateway::OwnedHeader>* out) {
  auto removed = [&](std::string_view name) {
    for (const auto& r : d.upstream_remove) {
      if (r == name) return true;
    }
    for (const auto& h : d.upstream_set) {
      if (h.name == name) return true;
    }
    return false;
  };
  for (const auto& h : in) {
    if (!removed(h.name)) out->push_back({std::string(h.name), std::string(h.value)});
  }
  for (const auto& h : d.upstream_set) out->push_back(h);
}

}  // namespace

StatusCode GrpcCodeForHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
      return StatusCode::kInternal;
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kUnimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return StatusCode::kUnavailable;
    default:
      return StatusCode::kUnknown;
  }
}

void GrpcIngress::SetRoutes(std::shared_ptr<const controller::RouteTable> routes) {
  std::lock_guard<std::mutex> lock(mu_);
  routes_ = std::move(routes);
}

void GrpcIngress::SetPolicies(std::shared_ptr<const gateway::PolicySnapshot> policies) {
  std::lock_guard<std::mutex> lock(mu_);
  policies_ = std::move(policies);
}

GrpcRoute GrpcIngress::Route(const GrpcCall& call) const {
  std::shared_ptr<const controller::RouteTable> table;
  std::shared_ptr<const gateway::PolicySnapshot> policy;
  {
    std::lock_guard<std::mutex> lock(mu_);
    table = routes_;
    policy = policies_;
  }
  std::string host = HostOf(call.authority);
  const controller::ServiceRoute* route = nullptr;
  bool external = true;  // unknown hosts meet the ingress gateway's policies first
  if (table) {
    route = table->FindExternal(host);
    if (route == nullptr && (route = table->FindInternal(host)) != nullptr) external = false;
  }
  gateway::RequestAttributes attrs;
  attrs.method = "POST";
  attrs.host = call.authority;
  attrs.path = call.path;
  attrs.headers = call.metadata;
  attrs.destination_port = call.local_port;
  attrs.source_ip = call.peer_ip;
  gateway::EvalOptions eval;
  eval.ext_authz = ext_authz_;
  // Metadata as the predictor sees it after the gateway's header mutations.
  std::vector<gateway::OwnedHeader> mutated;
  std::vector<gateway::Header> mutated_view;
  if (external && policy) {
    gateway::Decision d =
        gateway::Evaluate(*policy, gateway::Workload::IngressGateway(), attrs, eval);
    if (!d.allowed) return Denied(d);
    if (!d.upstream_remove.empty() || !d.upstream_set.empty()) {
      ApplyUpstream(d, call.metadata, &mutated);
      for (const auto& h : mutated) mutated_view.push_back({h.name, h.value});
      attrs.headers = mutated_view;
    }
  }
  if (route == nullptr) {
    return {nullptr,
            NotFoundError("no InferenceService has host `" + host +
                          "`; set the channel's authority to the host of its URL "
                          "({isvc}.{namespace}.{domain}, or {isvc}.{namespace}.svc.cluster.local; "
                          "kubectl get inferenceservice -A shows them), e.g. grpc.insecure_channel"
                          "(addr, options=[('grpc.default_authority', host)])"),
            {}};
  }
  if (policy) {
    gateway::Workload predictor;
    predictor.name_space = route->name_space;
    predictor.name = route->name;
    for (const auto& [k, v] : route->labels) predictor.labels.emplace(k, v);
    if (external) attrs.source_principal = gateway::kIngressGatewayPrincipal;
    gateway::Decision d = gateway::Evaluate(*policy, predictor, attrs, eval);
    if (!d.allowed) return Denied(d);
  }
  if (route->revisions.empty()) {
    return {nullptr,
            UnavailableError("InferenceService " + route->name_space + "/" + route->name +
                             " has no ready revision: " + route->not_ready_reason +
                             " (kubectl describe inferenceservice " + route->name + " -n " +
                             route->name_space + ")"),
            {}};
  }
  return {PickRevision(*route)->catalog, OkStatus(), {}};
}

}  // namespace ferry::ingress
