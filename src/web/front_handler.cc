#include "web/front_handler.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "auth/request_info.h"
#include "web/gzip.h"

namespace ferry::web {
namespace {

using nlohmann::json;
using http::HttpRequest;
using http::HttpResponse;

// Keeps the one answer of an in-process API call.
class CaptureSink : public http::ResponseSink {
 public:
  void Send(HttpResponse r) override {
    answer = std::move(r);
    answered = true;
  }
  // Streams (watches) are never asked for here.
  void StartStream(HttpResponse) override {}
  bool WriteChunk(std::string) override { return false; }
  void EndStream() override {}

  HttpResponse answer;
  bool answered = false;
};

HttpResponse KubeStatus(int code, std::string_view reason, const std::string& message) {
  json status = {{"kind", "Status"},     {"apiVersion", "v1"}, {"metadata", json::object()},
                 {"status", "Failure"},  {"message", message}, {"reason", reason},
                 {"code", code}};
  return HttpResponse::Json(code, status.dump());
}

// The query parameters the API's request parsing reads, decoded as the API
// decodes them (only `watch` and `fieldSelector` change the kube verb).
std::map<std::string, std::string, std::less<>> VerbQuery(std::string_view query) {
  std::map<std::string, std::string, std::less<>> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string key = FormDecode(part.substr(0, eq));
    if (key == "watch" || key == "fieldSelector") {
      out[key] = eq == std::string_view::npos ? "" : FormDecode(part.substr(eq + 1));
    }
  }
  return out;
}

bool IsSelfReview(const auth::RequestInfo& info) {
  if (info.verb != "create" || !info.name.empty() || !info.subresource.empty() ||
      !info.ns.empty()) {
    return false;
  }
  return (info.api_group == "authorization.k8s.io" &&
          (info.resource == "selfsubjectaccessreviews" ||
           info.resource == "selfsubjectrulesreviews")) ||
         (info.api_group == "authentication.k8s.io" && info.resource == "selfsubjectreviews");
}

}  // namespace

bool IsApiPath(std::string_view path) {
  for (std::string_view root :
       {"/api", "/apis", "/version", "/openapi", "/.well-known", "/openid", "/kfam",
        "/ferry"}) {
    if (path.substr(0, root.size()) == root &&
        (path.size() == root.size() || path[root.size()] == '/')) {
      return true;
    }
  }
  return false;
}

std::string ReadOnlyRefusal(std::string_view method, std::string_view path,
                            std::string_view query) {
  // The API's own parse: trailing slashes off, one percent-decode, then
  // kube-apiserver's request info (so %73ecrets is secrets, /watch/ is watch).
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  auto decoded = auth::DecodePath(path);
  if (!decoded.ok()) return decoded.status().message();
  auth::RequestInfo info = auth::ParseRequestInfo(method, *decoded, VerbQuery(query));
  if (info.resource_request) {
    if (info.verb == "get" || info.verb == "list" || info.verb == "watch") return "";
    if (IsSelfReview(info)) return "";  // "may I?" changes nothing
    std::string what = info.resource + (info.subresource.empty() ? "" : "/" + info.subresource);
    return "cannot " + info.verb + " " + what;
  }
  if (info.verb == "get" || info.verb == "head") return "";
  if (info.verb == "post" && info.path == "/ferry/v1/authz/check") return "";
  return "cannot " + info.verb + " " + info.path;
}

void FrontHandler::Handle(HttpRequest& request, http::Responder responder) {
  // The dashboard's own endpoints under /ferry/ stay with the dashboard.
  bool web_owned = request.path.substr(0, 11) == "/ferry/try/" || request.path == "/ferry/whoami";
  if (web_owned || !IsApiPath(request.path)) return web_->Handle(request, std::move(responder));
  if (request.HasHeader("authorization")) return api_->Handle(request, std::move(responder));
  bool signed_in = false;
  std::string credential = web_->ApiCredential(request, &signed_in);
  if (request.path == "/ferry/namespaces") {
    if (!signed_in) {
      return responder.Send(KubeStatus(401, "Unauthorized", "sign in to the dashboard first"));
    }
    return Namespaces(request, credential, std::move(responder));
  }
  if (!signed_in) return api_->Handle(request, std::move(responder));  // anonymous
  if (read_only_) {
    std::string why = ReadOnlyRefusal(request.method, request.path, request.query);
    if (!why.empty()) {
      return responder.Send(KubeStatus(
          403, "Forbidden",
          "the dashboard on the external gateway is read-only (" + why +
              "): make changes from the dashboard on the API port (https, `ferry up` prints "
              "its URL) or with kubectl"));
    }
  }
  if (credential.empty()) {
    return responder.Send(KubeStatus(500, "InternalError",
                                     "the dashboard could not issue a token for your session; "
                                     "sign out and in again, or see the `ferry up` log"));
  }
  request.headers.emplace_back("authorization", std::move(credential));
  // The dashboard's lists (InferenceServices, Events) compress well.
  if (AcceptsGzip(request)) responder = GzipResponder(std::move(responder));
  api_->Handle(request, std::move(responder));
}

HttpResponse FrontHandler::CallApi(const HttpRequest& like, std::string method, std::string target,
                                   std::string body, const std::string& credential) {
  HttpRequest req;
  req.method = std::move(method);
  req.target = std::move(target);
  http::SplitTarget(req.target, &req.path, &req.query);
  req.body = std::move(body);
  req.headers = {{"accept", "application/json"}, {"content-type", "application/json"}};
  if (!credential.empty()) req.headers.emplace_back("authorization", credential);
  req.remote_address = like.remote_address;
  req.local_port = like.local_port;
  req.received = like.received;
  auto sink = std::make_shared<CaptureSink>();
  api_->Handle(req, http::Responder(sink));
  if (!sink->answered) {
    return KubeStatus(500, "InternalError", "the API did not answer " + req.target + " at once");
  }
  return std::move(sink->answer);
}

bool FrontHandler::Allowed(const HttpRequest& like, const std::string& credential,
                           std::string_view verb, std::string_view group,
                           std::string_view resource, std::string_view ns,
                           std::string_view name) {
  json attrs = {{"verb", verb}, {"group", group}, {"resource", resource}};
  if (!ns.empty()) attrs["namespace"] = ns;
  if (!name.empty()) attrs["name"] = name;
  json review = {{"apiVersion", "authorization.k8s.io/v1"},
                 {"kind", "SelfSubjectAccessReview"},
                 {"spec", {{"resourceAttributes", attrs}}}};
  HttpResponse r = CallApi(like, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                           review.dump(), credential);
  if (r.status != 201 && r.status != 200) return false;
  json answer = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  const json* allowed = answer.is_object() && answer.contains("status") &&
                                answer["status"].is_object() &&
                                answer["status"].contains("allowed")
                            ? &answer["status"]["allowed"]
                            : nullptr;
  return allowed != nullptr && allowed->is_boolean() && allowed->get<bool>();
}

void FrontHandler::Namespaces(const HttpRequest& request, const std::string& credential,
                              http::Responder responder) {
  std::vector<std::string> reachable;
  if (!credential.empty()) {
    if (Allowed(request, credential, "list", "", "namespaces", "", "")) {
      HttpResponse r = CallApi(request, "GET", "/api/v1/namespaces", "", credential);
      json list = json::parse(r.body, nullptr, false);
      if (r.status == 200 && list.is_object() && list["items"].is_array()) {
        for (const json& ns : list["items"]) {
          if (ns.is_object() && ns["metadata"].is_object() && ns["metadata"]["name"].is_string()) {
            reachable.push_back(ns["metadata"]["name"].get<std::string>());
          }
        }
      }
    } else if (namespaces_) {
      for (const std::string& ns : namespaces_()) {
        if (Allowed(request, credential, "get", "", "namespaces", ns, ns) ||
            Allowed(request, credential, "list", "serving.kserve.io", "inferenceservices", ns,
                    "")) {
          reachable.push_back(ns);
        }
      }
    }
  }
  std::sort(reachable.begin(), reachable.end());
  HttpResponse r = HttpResponse::Json(200, json{{"namespaces", reachable}}.dump());
  r.headers.emplace_back("Cache-Control", "no-store");
  responder.Send(std::move(r));
}

}  // namespace ferry::web
