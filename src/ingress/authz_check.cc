#include "ingress/authz_check.h"

#include <nlohmann/json.hpp>

#include "common/constant_time.h"
#include "common/strings.h"
#include "protocol/v2_json.h"
#include "serving/http_status.h"

namespace ferry::ingress {
namespace {

using nlohmann::json;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? nl : nl - start);
    if (!line.empty()) out.push_back(std::move(line));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

// Internal (cluster-local) hosts end in .svc or .svc.cluster.local.
bool IsInternalHost(std::string_view host) {
  auto ends = [&](std::string_view suffix) {
    return host.size() >= suffix.size() && host.substr(host.size() - suffix.size()) == suffix;
  };
  return ends(".svc.cluster.local") || ends(".svc");
}

// The request the listener would see: an absolute-form target (as a client
// going through HTTP_PROXY sends it) plus the Host header clients add.
StatusOr<http::HttpRequest> BuildRequest(const AuthzCheckRequest& in, uint16_t port) {
  std::string_view url = in.url;
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos || url.substr(0, scheme) != "http" ||
      url.size() == scheme + 3) {
    return InvalidArgumentError("authz check: url `" + in.url +
                                "` is not an http:// URL; give the InferenceService URL, e.g. "
                                "http://NAME.NS.example.com/v2/models/NAME/infer");
  }
  http::HttpRequest req;
  req.method = in.method.empty() ? "GET" : in.method;
  req.target = in.url;
  if (url.find('/', scheme + 3) == std::string_view::npos) req.target += "/";
  http::SplitTarget(req.target, &req.path, &req.query);
  std::string_view rest = std::string_view(req.target).substr(scheme + 3);
  std::string authority(rest.substr(0, rest.find('/')));
  req.headers.emplace_back("host", authority);
  for (const auto& [k, v] : in.headers) {
    if (AsciiLower(k) == "host") continue;  // the URL's authority wins for absolute-form targets
    req.headers.emplace_back(AsciiLower(k), v);
  }
  if (!in.token.empty()) {
    std::erase_if(req.headers, [](const auto& h) { return h.first == "authorization"; });
    req.headers.emplace_back("authorization", "Bearer " + in.token);
  }
  req.remote_address = in.source_ip;
  req.local_port = port;
  return req;
}

std::string Summary(const AuthzCheckResult& r, const GatewayOutcome& out) {
  switch (out.kind) {
    case GatewayOutcome::Kind::kDenied: {
      std::string body = r.body.substr(0, r.body.find('\n'));
      if (body.size() > 80) body = body.substr(0, 77) + "...";
      return "DENIED: the client gets " + std::to_string(r.status) +
             (body.empty() ? std::string(" with an empty body") : " `" + body + "`");
    }
    case GatewayOutcome::Kind::kNoRoute:
      return "NOT FOUND: no InferenceService has host `" + std::string(out.host) + "` on the " +
             r.gateway + " gateway (404)";
    case GatewayOutcome::Kind::kNotReady:
      return "ALLOWED by policy, but " + out.route->name_space + "/" + out.route->name +
             " has no ready revision (503): " + out.route->not_ready_reason;
    case GatewayOutcome::Kind::kRouted:
    case GatewayOutcome::Kind::kPending:
      break;
  }
  switch (out.destination) {
    case Destination::kOauth2:
      return "ALLOWED: forwarded to the oauth2-proxy's /oauth2/ endpoints (sign-in)";
    case Destination::kDashboard:
      return "ALLOWED: forwarded to the dashboard (which still asks for its oauth2 session)";
    case Destination::kModel:
      break;
  }
  return "ALLOWED: forwarded to InferenceService " + out.route->name_space + "/" + out.route->name +
         " (the model's own answer follows)";
}

// A next step for the common denials (empty when there is nothing generic to say).
std::string Hint(const GatewayOutcome& out, bool has_token) {
  if (out.kind != GatewayOutcome::Kind::kDenied) return "";
  std::string ns = out.route ? out.route->name_space : "NAMESPACE";
  switch (out.denial.denied_at) {
    case gateway::Decision::Stage::kCustom:
      return "hint: machine clients send `Authorization: Bearer $(kubectl create token "
             "default-editor -n " +
             ns +
             ")`; without an Authorization header Kubeflow's "
             "oauth2-proxy gate answers (sign-in page or 401)";
    case gateway::Decision::Stage::kJwt:
      return "hint: the token was presented and rejected; use a fresh token from `kubectl create "
             "token SERVICEACCOUNT -n " +
             ns + "` (signed by this ferry up's issuer)";
    case gateway::Decision::Stage::kAllow:
    case gateway::Decision::Stage::kDeny:
      if (!has_token) {
        return "hint: the request carries no token, so no request principal; send a token of a "
               "ServiceAccount the policies allow (kubectl create token default-editor -n " +
               ns + ") or add an AuthorizationPolicy for this workload";
      }
      return "hint: the token is valid but no policy allows its principal here; use a "
             "ServiceAccount of `" +
             ns + "` or add an AuthorizationPolicy that allows it";
    default:
      return "";
  }
}

}  // namespace

StatusOr<AuthzCheckRequest> ParseAuthzCheckRequest(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgumentError(
        "authz check: the body is not a JSON object; send {\"url\": \"http://...\", "
        "\"method\": \"POST\", \"headers\": {\"Name\": \"value\"}, \"token\": \"...\"}");
  }
  AuthzCheckRequest r;
  auto str = [&](const char* key, std::string* out) -> Status {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return OkStatus();
    if (!it->is_string()) {
      return InvalidArgumentError(std::string("authz check: `") + key + "` must be a string");
    }
    *out = it->get<std::string>();
    return OkStatus();
  };
  RETURN_IF_ERROR(str("url", &r.url));
  RETURN_IF_ERROR(str("method", &r.method));
  RETURN_IF_ERROR(str("token", &r.token));
  RETURN_IF_ERROR(str("gateway", &r.gateway));
  RETURN_IF_ERROR(str("source_ip", &r.source_ip));
  if (r.url.empty()) {
    return InvalidArgumentError("authz check: `url` is required (the URL the client calls)");
  }
  if (r.url.rfind("http://", 0) != 0 || r.url.size() == 7 || r.url[7] == '/') {
    return InvalidArgumentError("authz check: url `" + r.url +
                                "` is not an http:// URL with a host; give the URL the client "
                                "calls, e.g. http://NAME.NS.example.com/v2/models/NAME/infer or "
                                "http://NAME.NS.svc.cluster.local/v2/models/NAME/infer");
  }
  if (r.gateway != "" && r.gateway != "external" && r.gateway != "internal") {
    return InvalidArgumentError("authz check: `gateway` must be external or internal, not `" +
                                r.gateway + "`");
  }
  auto h = j.find("headers");
  if (h != j.end() && !h->is_null()) {
    if (!h->is_object()) {
      return InvalidArgumentError("authz check: `headers` must be an object {\"Name\": \"value\"}");
    }
    for (const auto& [k, v] : h->items()) {
      if (!v.is_string()) {
        return InvalidArgumentError("authz check: header `" + k + "` must be a string");
      }
      r.headers.emplace_back(k, v.get<std::string>());
    }
  }
  return r;
}

std::string AuthzCheckResultJson(const AuthzCheckResult& r) {
  json workloads = json::array();
  for (const auto& w : r.workloads) {
    workloads.push_back({{"workload", w.workload},
                         {"allowed", w.allowed},
                         {"status", w.status},
                         {"matchedPolicy", w.matched_policy},
                         {"explanation", w.explanation}});
  }
  json headers = json::object();
  for (const auto& [k, v] : r.response_headers) headers[k] = v;
  json out = {{"allowed", r.allowed},  {"status", r.status},   {"body", r.body},
              {"headers", headers},    {"gateway", r.gateway}, {"explanation", r.explanation},
              {"workloads", workloads}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

AuthzCheckResult ExplainOutcome(const AuthzCheckRequest& in, bool is_internal, bool has_policy,
                                const GatewayOutcome& out, const std::vector<GatewayStep>& steps) {
  AuthzCheckResult r;
  r.gateway = is_internal ? "internal" : "external";
  http::HttpResponse resp;
  switch (out.kind) {
    case GatewayOutcome::Kind::kDenied:
      resp = DenialResponse(out.denial);
      break;
    case GatewayOutcome::Kind::kNoRoute:
      resp = NoRouteResponse(out.host, !is_internal);
      break;
    case GatewayOutcome::Kind::kNotReady:
      resp = NotReadyResponse(*out.route);
      break;
    case GatewayOutcome::Kind::kRouted:
    case GatewayOutcome::Kind::kPending:
      resp.status = 200;
      resp.content_type.clear();
      break;
  }
  r.allowed = out.kind == GatewayOutcome::Kind::kRouted;
  r.status = resp.status;
  r.body = resp.body;
  if (!resp.content_type.empty())
    r.response_headers.emplace_back("content-type", resp.content_type);
  for (auto& h : resp.headers) r.response_headers.push_back(h);

  r.explanation.push_back(Summary(r, out));
  r.explanation.push_back(std::string(is_internal ? "cluster-local" : "external") + " gateway: " +
                          (is_internal ? "policies of the predictor workload only, no peer "
                                         "identity (source.principal=<none>)"
                                       : "policies of the ingress-gateway workload, then of the "
                                         "predictor with source.principal=" +
                                             std::string(gateway::kIngressGatewayPrincipal)));
  if (!has_policy)
    r.explanation.push_back("no policy snapshot yet (controller starting): all open");
  if (out.path_changed) {
    r.explanation.push_back("path normalized to " + std::string(out.path) +
                            " (MeshConfig pathNormalization): policies saw it and the request "
                            "is served with it");
  }
  for (const auto& s : steps) {
    WorkloadVerdict v;
    v.workload = gateway::DescribeWorkload(s.workload);
    v.allowed = s.decision.allowed;
    v.status = s.decision.allowed ? 200 : s.decision.status;
    v.matched_policy = s.decision.matched_policy;
    v.explanation = Lines(s.decision.explanation);
    if (!v.explanation.empty()) r.explanation.push_back(v.explanation.front());
    r.workloads.push_back(std::move(v));
  }
  bool has_token = !in.token.empty();
  for (const auto& [k, v] : in.headers) has_token = has_token || AsciiLower(k) == "authorization";
  if (std::string hint = Hint(out, has_token); !hint.empty()) {
    r.explanation.push_back(std::move(hint));
  }
  if (out.kind == GatewayOutcome::Kind::kNoRoute && !is_internal && has_policy) {
    r.explanation.push_back(
        "(the ingress-gateway policies were checked before the host lookup, "
        "as Envoy does)");
  }
  return r;
}

namespace {

// One check, parked like a request when a CUSTOM provider or a JWKS fetch
// must answer first.
class AuthzParked : public PipelineCall {
 public:
  AuthzParked(AuthzCheckRequest in, http::HttpRequest request, const IngressHandler* gateway,
              bool is_internal, http::Responder responder)
      : in_(std::move(in)),
        request_(std::move(request)),
        gateway_(gateway),
        is_internal_(is_internal),
        responder_(std::move(responder)) {
    explain = true;
  }

  GatewayInput Input() const override { return gateway_->InputFor(request_); }
  HeaderList& Headers() override { return request_.headers; }
  void Post(std::function<void()> fn) override { responder_.Post(std::move(fn)); }
  void Finish(GatewayOutcome& out) override {
    AuthzCheckResult r =
        ExplainOutcome(in_, is_internal_, progress.view.policies != nullptr, out, steps);
    responder_.Send(http::HttpResponse::Json(200, AuthzCheckResultJson(r)));
  }
  void Abandon(const Status& why) override {
    responder_.Send(http::HttpResponse::Json(serving::HttpStatusFor(why.code()),
                                               protocol::WriteJsonError(why.message())));
  }

 private:
  AuthzCheckRequest in_;
  http::HttpRequest request_;
  const IngressHandler* gateway_;
  bool is_internal_;
  http::Responder responder_;
};

}  // namespace

void CheckAuthz(const AuthzCheckRequest& in, const IngressHandler& external,
                const IngressHandler& internal, http::Responder responder) {
  std::string_view url = in.url;
  size_t scheme = url.find("://");
  std::string_view authority = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  authority = authority.substr(0, authority.find('/'));
  std::string host = AsciiLower(authority.substr(0, authority.find(':')));
  bool is_internal = in.gateway.empty() ? IsInternalHost(host) : in.gateway == "internal";
  const IngressHandler& gw = is_internal ? internal : external;

  auto req = BuildRequest(in, gw.listen_port());
  if (!req.ok()) {
    AuthzCheckResult r;
    r.gateway = is_internal ? "internal" : "external";
    r.status = 400;
    r.body = req.status().message();
    r.explanation.push_back("ERROR: " + r.body);
    return responder.Send(http::HttpResponse::Json(200, AuthzCheckResultJson(r)));
  }
  auto call = std::make_shared<AuthzParked>(in, std::move(*req), &gw, is_internal, responder);
  GatewayOutcome out =
      gw.pipeline().Evaluate(call->Input(), call->Headers(), call->progress, true, &call->steps);
  if (out.kind == GatewayOutcome::Kind::kPending) {
    gw.parked()->Park(call, std::move(out.pending));
    return;
  }
  call->Finish(out);
}

void AuthzCheckHandler::Handle(http::HttpRequest& req, http::Responder responder) {
  if (req.path != kAuthzCheckPath) return next_->Handle(req, std::move(responder));
  if (!authorize_) {
    return responder.Send(http::HttpResponse::Json(
        403, protocol::WriteJsonError("authz check is not enabled on this listener")));
  }
  if (auto refused = authorize_(req)) return responder.Send(std::move(*refused));
  if (req.method != "POST") {
    http::HttpResponse r = http::HttpResponse::Json(
        405, protocol::WriteJsonError("authz check: use POST with a JSON body"));
    r.headers.emplace_back("allow", "POST");
    return responder.Send(std::move(r));
  }
  auto parsed = ParseAuthzCheckRequest(req.body);
  if (!parsed.ok()) {
    return responder.Send(
        http::HttpResponse::Json(400, protocol::WriteJsonError(parsed.status().message())));
  }
  CheckAuthz(*parsed, *external_, *internal_, std::move(responder));
}

}  // namespace ferry::ingress
