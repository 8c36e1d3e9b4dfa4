#include "api/api_server.h"

#include <cstdio>

#include "api/api_server_impl.h"
#include "api/discovery.h"
#include "api/kinds.h"
#include "auth/request_info.h"
#include "common/constant_time.h"

namespace ferry::api {

using nlohmann::json;
using http::HttpRequest;
using http::HttpResponse;
using http::Responder;

http::HttpResponse JsonResponse(int status, const json& body, std::string content_type) {
  HttpResponse r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = body.dump();
  return r;
}

http::HttpResponse ErrorResponse(const ApiError& err) {
  return JsonResponse(err.code, err.ToStatusJson());
}

void AddWarnings(HttpResponse* resp, const std::vector<std::string>& warnings) {
  for (const std::string& w : warnings) {
    std::string escaped;
    for (char c : w) {
      if (c == '"' || c == '\\') escaped.push_back('\\');
      escaped.push_back(c);
    }
    resp->headers.emplace_back("Warning", "299 - \"" + escaped + "\"");
  }
}

ApiServer::Impl::Impl(store::ResourceStore* store, TokenSigner* signer, ApiServerOptions opts)
    : options(std::move(opts)),
      store(store),
      service(store),
      client(&service),
      watches(store),
      signer(signer),
      followers(store, &logs),
      rbac(store, &service) {
  auth::AuthenticatorOptions a;
  a.admin_token = options.admin_token;
  a.issuer = options.issuer;
  a.api_audiences = options.api_audiences;
  a.oidc_client_id = options.oidc_client_id;
  // Tokens are only ever live while their ServiceAccount (and bound Secret) is.
  auto lookup = [store](std::string_view kind, std::string_view ns,
                        std::string_view name) -> std::optional<std::string> {
    std::string resource = kind == "ServiceAccount" ? "core/serviceaccounts"
                           : kind == "Secret"       ? "core/secrets"
                                                    : "";
    if (resource.empty()) return std::nullopt;  // no Pods or Nodes here
    auto obj = store->Get(resource, ns, name);
    if (!obj.ok()) return std::nullopt;
    const json& meta = (**obj)["metadata"];
    if (meta.contains("deletionTimestamp")) return std::nullopt;
    return meta.value("uid", "");
  };
  json jwks = signer != nullptr ? signer->Jwks() : json{{"keys", json::array()}};
  authn = std::make_unique<auth::Authenticator>(std::move(a), jwks, lookup);
}

ApiServer::ApiServer(store::ResourceStore* store, TokenSigner* signer, ApiServerOptions options)
    : impl_(std::make_unique<Impl>(store, signer, std::move(options))) {
  impl_->service.set_require_namespaces(impl_->options.require_namespaces);
  const KindInfo* ns_kind = FindKindByResource("", "v1", "namespaces");
  for (const std::string& ns : impl_->options.initial_namespaces) {
    WriteResult out;
    (void)impl_->service.Create(*ns_kind, "v1", "", json{{"metadata", {{"name", ns}}}}, {}, &out);
  }
  // kube-controller-manager's clusterrole-aggregation, after every ClusterRole write.
  impl_->service.AddWriteObserver("ClusterRole", [impl = impl_.get()] { impl->rbac.Aggregate(); });
  if (impl_->options.bootstrap_rbac) {
    Status st = impl_->rbac.ReconcileBootstrap();
    if (!st.ok()) std::fprintf(stderr, "ferry api: %s\n", st.message().c_str());
  }
}

ApiServer::~ApiServer() { Shutdown(); }

void ApiServer::AddAdmission(std::string kind, AdmissionHook hook) {
  impl_->service.AddAdmission(std::move(kind), std::move(hook));
}

ResourceClient& ApiServer::client() { return impl_->client; }
IsvcLogs& ApiServer::isvc_logs() { return impl_->logs; }
void ApiServer::SetSeriesSource(SeriesSource source) { impl_->series = std::move(source); }

void ApiServer::SetReadiness(std::function<bool()> ready) { impl_->ready = std::move(ready); }

void ApiServer::SetUsageSource(UsageSource source) { impl_->usage = std::move(source); }

void ApiServer::Shutdown() {
  impl_->watches.Shutdown();
  impl_->followers.Shutdown();
}

namespace {

// Discovery and OpenAPI; false when `path` is none of them.
bool HandleDiscovery(std::string_view path, const HttpRequest& req, const Responder& r) {
  std::optional<json> doc;
  if (path == "/version" || path == "/version/") {
    doc = VersionInfo();
  } else if (path == "/api") {
    doc = CoreApiVersions(std::string(req.Header("host")));
  } else if (path == "/apis") {
    doc = ApiGroupList();
  } else if (path == "/api/v1") {
    doc = ApiResourceList("", "v1");
  } else if (path == "/openapi/v3") {
    doc = OpenApiV3Root();
  } else if (path.rfind("/openapi/v3/", 0) == 0) {
    doc = OpenApiV3Document(path.substr(12));
    if (!doc) r.Send(ErrorResponse(UnknownResource()));
  } else if (path.rfind("/apis/", 0) == 0 && path.find('/', 6) == std::string_view::npos) {
    doc = ApiGroup(path.substr(6));
    if (!doc) r.Send(ErrorResponse(UnknownResource()));
  } else if (path.rfind("/apis/", 0) == 0) {
    std::string_view gv = path.substr(6);
    size_t slash = gv.find('/');
    if (gv.find('/', slash + 1) != std::string_view::npos) return false;
    doc = ApiResourceList(gv.substr(0, slash), gv.substr(slash + 1));
    if (!doc) r.Send(ErrorResponse(UnknownResource()));
  } else {
    return false;
  }
  if (doc) r.Send(JsonResponse(200, *doc));
  return true;
}

}  // namespace

std::optional<HttpResponse> ApiServer::AuthorizeNonResource(HttpRequest& req,
                                                            std::string_view path) {
  auth::UserInfo user;
  ApiError err = impl_->Authenticate(req, &user);
  if (err.ok()) err = impl_->Impersonate(req, &user);
  if (err.ok()) {
    auth::Attributes attrs;
    attrs.user = &user;
    attrs.verb = auth::ParseRequestInfo(req.method, path, {}).verb;
    attrs.path = std::string(path);
    err = impl_->Authorize(attrs);
  }
  if (err.ok()) return std::nullopt;
  return ErrorResponse(err);
}

namespace {

// Answers a request only once every store write made so far is on disk (the
// store commits in groups, write_behind.h): an acknowledged write survives a
// crash. Used for every request that may write.
class DurableSink : public http::ForwardingSink {
 public:
  DurableSink(store::ResourceStore* store, Responder inner)
      : ForwardingSink(std::move(inner)), store_(store) {}
  void Send(HttpResponse response) override { inner().Send(Durable(std::move(response))); }
  void StartStream(HttpResponse head) override { inner().StartStream(Durable(std::move(head))); }

 private:
  HttpResponse Durable(HttpResponse response) {
    Status st = store_->Sync();
    if (st.ok()) return response;
    return ErrorResponse(InternalServerError(
        "the change was not stored on disk: " + st.message()));
  }

  store::ResourceStore* store_;
};

}  // namespace

void ApiServer::Handle(HttpRequest& req, Responder responder) {
  if (req.method != "GET" && req.method != "HEAD") {
    responder = Responder(std::make_shared<DurableSink>(impl_->store, std::move(responder)));
  }
  std::string_view raw = req.path;
  while (raw.size() > 1 && raw.back() == '/') raw.remove_suffix(1);
  // One decode, one parse: the request is authorized on exactly what it acts on.
  auto decoded = auth::DecodePath(raw);
  if (!decoded.ok()) return responder.Send(ErrorResponse(BadRequest(decoded.status().message())));
  const std::string& path = *decoded;
  Query query = ParseQuery(req.query);
  auth::UserInfo user;
  ApiError err = impl_->Authenticate(req, &user);
  if (err.ok()) err = impl_->Impersonate(req, &user);
  auth::RequestInfo info = auth::ParseRequestInfo(req.method, path, query);
  if (err.ok() && path.rfind("/kfam/", 0) == 0) {
    return impl_->HandleKfam(req, path, user, query, responder);
  }
  if (err.ok()) {
    auth::Attributes attrs;
    attrs.user = &user;
    attrs.verb = info.verb;
    attrs.resource_request = info.resource_request;
    attrs.api_group = info.api_group;
    attrs.api_version = info.api_version;
    attrs.resource = info.resource;
    attrs.subresource = info.subresource;
    attrs.ns = info.ns;
    attrs.name = info.name;
    attrs.path = info.path;
    err = impl_->Authorize(attrs);
  }
  if (!err.ok()) return responder.Send(ErrorResponse(err));

  if (path == "/readyz" && impl_->ready && !impl_->ready()) {
    responder.Send(HttpResponse::Text(
        503, "not ready: the controller has not finished reconciling the stored objects yet\n"));
    return;
  }
  if (path == "/healthz" || path == "/livez" || path == "/readyz") {
    responder.Send(HttpResponse::Text(200, "ok"));
    return;
  }
  if (path == "/.well-known/openid-configuration") {
    const std::string& iss = impl_->options.issuer;
    responder.Send(JsonResponse(200, {{"issuer", iss},
                                      {"jwks_uri", iss + "/openid/v1/jwks"},
                                      {"response_types_supported", {"id_token"}},
                                      {"subject_types_supported", {"public"}},
                                      {"id_token_signing_alg_values_supported", {"RS256"}}}));
    return;
  }
  if (path == "/openid/v1/jwks") {
    json jwks = impl_->signer ? impl_->signer->Jwks() : json{{"keys", json::array()}};
    responder.Send(JsonResponse(200, jwks, "application/jwk-set+json"));
    return;
  }
  if (req.method == "GET" && HandleDiscovery(path, req, responder)) return;
  std::optional<ResourcePath> rp = ResourcePathOf(info);
  if (!rp) {
    responder.Send(ErrorResponse(UnknownResource()));
    return;
  }
  // nlohmann throws on some malformed inputs (a string where an object belongs);
  // such requests are the client's fault.
  try {
    impl_->HandleResource(req, *rp, info, user, query, responder);
  } catch (const std::exception& e) {
    responder.Send(ErrorResponse(BadRequest(std::string("the request is malformed: ") + e.what())));
  }
}

}  // namespace ferry::api
