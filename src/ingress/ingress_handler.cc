#include "ingress/ingress_handler.h"

#include <random>

#include "gateway/engine.h"
#include "protocol/v2_json.h"

namespace ferry::ingress {
namespace {

std::string ErrorBody(const std::string& message) { return protocol::WriteJsonError(message); }

void Lower(std::string& s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
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

void SendDenial(const gateway::Decision& d, const server::Responder& responder) {
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
  responder.Send(std::move(r));
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

}  // namespace

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

void IngressHandler::Handle(server::HttpRequest& req, server::Responder responder) {
  auto table = routes();
  std::string host = RequestHost(req);
  const controller::ServiceRoute* route = nullptr;
  if (table) route = external_ ? table->FindExternal(host) : table->FindInternal(host);
  auto policy = policies();

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

  if (external_ && policy) {
    gateway::EvalOptions eval;
    eval.ext_authz = ext_authz_;
    gateway::Decision d =
        gateway::Evaluate(*policy, gateway::Workload::IngressGateway(), attrs, eval);
    if (!d.allowed) return SendDenial(d, responder);
    ApplyUpstream(d, req);
    headers.clear();
    for (const auto& [k, v] : req.headers) headers.push_back({k, v});
    attrs.headers = headers;
  }
  if (route == nullptr) {
    return responder.Send(server::HttpResponse::Json(
        404, ErrorBody("no InferenceService has host `" + host + "` on the " +
                       (external_ ? "external" : "cluster-local") +
                       " gateway. Use the host of its URL (kubectl get inferenceservice -A shows "
                       "it) in the Host header, or point HTTP_PROXY at this listener and call "
                       "the URL itself")));
  }
  if (policy) {
    gateway::Workload predictor;
    predictor.name_space = route->name_space;
    predictor.name = route->name;
    for (const auto& [k, v] : route->labels) predictor.labels.emplace(k, v);
    if (external_) attrs.source_principal = gateway::kIngressGatewayPrincipal;
    gateway::EvalOptions eval;
    eval.ext_authz = ext_authz_;
    gateway::Decision d = gateway::Evaluate(*policy, predictor, attrs, eval);
    if (!d.allowed) return SendDenial(d, responder);
    ApplyUpstream(d, req);
  }
  if (route->revisions.empty()) {
    return responder.Send(server::HttpResponse::Json(
        503, ErrorBody("InferenceService " + route->name_space + "/" + route->name +
                       " has no ready revision: " + route->not_ready_reason +
                       " (kubectl describe inferenceservice " + route->name + " -n " +
                       route->name_space + ")")));
  }
  const controller::RevisionRoute* rev = PickRevision(*route);
  router_->HandleWith(rev->catalog, req, std::move(responder));
}

}  // namespace ferry::ingress
