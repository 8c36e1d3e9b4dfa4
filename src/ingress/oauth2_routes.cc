#include "ingress/oauth2_routes.h"

#include "ingress/ingress_handler.h"
#include "web/front_handler.h"

namespace ferry::ingress {
namespace {

// Model protocol paths on a Host that no InferenceService has still go to
// the gateway, whose 404 names the unknown host (a mistyped Host header is
// the common cause; a sign-in redirect would hide it).
bool IsModelPath(std::string_view p) {
  return p.starts_with("/v1/") || p.starts_with("/v2/") || p == "/v2" || p == "/invocations" ||
         p == "/ping";
}

bool IsAbsoluteForm(const server::HttpRequest& req) {
  return !req.target.empty() && req.target[0] != '/';
}

}  // namespace

void ExternalFront::SetRoutes(std::shared_ptr<const controller::RouteTable> routes) {
  std::lock_guard<std::mutex> lock(mu_);
  routes_ = std::move(routes);
}

void ExternalFront::Handle(server::HttpRequest& req, server::Responder responder) {
  if (req.path.starts_with("/oauth2/")) return proxy_->HandleRoute(req, std::move(responder));
  if (dashboard_ == nullptr || IsAbsoluteForm(req) || IsModelPath(req.path)) {
    return gateway_->Handle(req, std::move(responder));
  }
  std::shared_ptr<const controller::RouteTable> table;
  {
    std::lock_guard<std::mutex> lock(mu_);
    table = routes_;
  }
  if (table && table->FindExternal(RequestHost(req)) != nullptr) {
    return gateway_->Handle(req, std::move(responder));
  }
  // The dashboard host: only behind the oauth2 session.
  if (proxy_->SessionUser(req, nullptr)) return dashboard_->Handle(req, std::move(responder));
  if (web::IsApiPath(req.path) || req.path.starts_with("/ferry/")) {
    return responder.Send(server::HttpResponse::Json(
        401, R"j({"error":"Unauthorized: sign in at /oauth2/sign_in (the dashboard's login)"})j"));
  }
  std::string rd(req.path);
  if (!req.query.empty()) rd += "?" + std::string(req.query);
  server::HttpResponse r = server::HttpResponse::Text(302, "sign in first: /oauth2/sign_in\n");
  r.headers.emplace_back("Location", "/oauth2/sign_in?rd=" + web::UrlEncode(rd));
  r.headers.emplace_back("Cache-Control", "no-store");
  responder.Send(std::move(r));
}

}  // namespace ferry::ingress
