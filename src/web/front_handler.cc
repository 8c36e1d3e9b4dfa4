#include "web/front_handler.h"

#include "web/gzip.h"

namespace ferry::web {

bool IsApiPath(std::string_view path) {
  for (std::string_view root :
       {"/api", "/apis", "/version", "/openapi", "/.well-known", "/openid",
        "/ferry"}) {
    if (path.substr(0, root.size()) == root &&
        (path.size() == root.size() || path[root.size()] == '/')) {
      return true;
    }
  }
  return false;
}

bool ReadOnlyAllows(std::string_view method, std::string_view path) {
  if (method == "POST" && path == "/ferry/v1/authz/check") return true;
  if (method != "GET" && method != "HEAD") return false;
  for (std::string_view seg : {"/secrets", "/token"}) {
    size_t at = path.find(seg);
    if (at != std::string_view::npos &&
        (at + seg.size() == path.size() || path[at + seg.size()] == '/')) {
      return false;
    }
  }
  return true;
}

void FrontHandler::Handle(http::HttpRequest& request, http::Responder responder) {
  // The dashboard's own endpoints under /ferry/ stay with the dashboard.
  bool web_owned = request.path.substr(0, 11) == "/ferry/try/" || request.path == "/ferry/whoami";
  if (web_owned || !IsApiPath(request.path)) return web_->Handle(request, std::move(responder));
  if (!request.HasHeader("authorization") && web_->SessionUser(request, nullptr)) {
    if (read_only_ && !ReadOnlyAllows(request.method, request.path)) {
      return responder.Send(http::HttpResponse::Json(
          403, R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden",)"
               R"("code":403,"message":"the dashboard on the external gateway is read-only and )"
               R"(cannot read Secrets; make changes from the dashboard on the API port )"
               R"((https, `ferry up` prints its URL) or with kubectl"})"));
    }
    request.headers.emplace_back("authorization", "Bearer " + admin_token_);
    // The dashboard's lists (InferenceServices, Events) compress well.
    if (AcceptsGzip(request)) responder = GzipResponder(std::move(responder));
  }
  api_->Handle(request, std::move(responder));
}

}  // namespace ferry::web
