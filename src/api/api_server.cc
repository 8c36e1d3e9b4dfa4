#include "api/api_server.h"

#include "api/api_server_impl.h"
#include "api/discovery.h"
#include "api/kinds.h"
#include "common/constant_time.h"

namespace ferry::api {

using nlohmann::json;
using server::HttpRequest;
using server::HttpResponse;
using server::Responder;

server::HttpResponse JsonResponse(int status, const json& body, std::string content_type) {
  HttpResponse r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = body.dump();
  return r;
}

server::HttpResponse ErrorResponse(const ApiError& err) {
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

ApiServer::ApiServer(store::ResourceStore* store, TokenSigner* signer, ApiServerOptions options)
    : impl_(std::make_unique<Impl>(store, signer, std::move(options))) {
  impl_->service.set_require_namespaces(impl_->options.require_namespaces);
  const KindInfo* ns_kind = FindKindByResource("", "v1", "namespaces");
  for (const std::string& ns : impl_->options.initial_namespaces) {
    WriteResult out;
    (void)impl_->service.Create(*ns_kind, "v1", "", json{{"metadata", {{"name", ns}}}}, {}, &out);
  }
}

ApiServer::~ApiServer() { Shutdown(); }

void ApiServer::AddAdmission(std::string kind, AdmissionHook hook) {
  impl_->service.AddAdmission(std::move(kind), std::move(hook));
}

ResourceClient& ApiServer::client() { return impl_->client; }
IsvcLogs& ApiServer::isvc_logs() { return impl_->logs; }
void ApiServer::SetReadiness(std::function<bool()> ready) { impl_->ready = std::move(ready); }

void ApiServer::Shutdown() { impl_->watches.Shutdown(); }

namespace {

bool IsPublic(std::string_view path) {
  return path == "/version" || path == "/healthz" || path == "/livez" || path == "/readyz" ||
         path == "/.well-known/openid-configuration" || path == "/openid/v1/jwks";
}

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

void ApiServer::Handle(HttpRequest& req, Responder responder) {
  std::string_view path = req.path;
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
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
  if (!IsPublic(path) && !impl_->options.admin_token.empty()) {
    std::string_view auth = req.Header("authorization");
    if (auth.substr(0, 7) != "Bearer " ||
        !ConstantTimeEquals(auth.substr(7), impl_->options.admin_token)) {
      responder.Send(ErrorResponse(Unauthorized()));
      return;
    }
  }
  if (req.method == "GET" && HandleDiscovery(path, req, responder)) return;
  std::optional<ResourcePath> rp = ParseResourcePath(path);
  if (!rp) {
    responder.Send(ErrorResponse(UnknownResource()));
    return;
  }
  // nlohmann throws on some malformed inputs (a string where an object belongs);
  // such requests are the client's fault.
  try {
    impl_->HandleResource(req, *rp, ParseQuery(req.query), responder);
  } catch (const std::exception& e) {
    responder.Send(ErrorResponse(BadRequest(std::string("the request is malformed: ") + e.what())));
  }
}

}  // namespace ferry::api
