#include "ingress/oauth2_routes.h"

#include "web/front_handler.h"

namespace ferry::ingress {

void FrontRoutes::ServeOauth2(http::HttpRequest& req, http::Responder responder) {
  proxy_->HandleRoute(req, std::move(responder));
}

void FrontRoutes::ServeDashboard(http::HttpRequest& req, http::Responder responder) {
  if (proxy_->SessionUser(req, nullptr)) return dashboard_->Handle(req, std::move(responder));
  if (web::IsApiPath(req.path) || req.path.substr(0, 7) == "/ferry/") {
    return responder.Send(http::HttpResponse::Json(
        401, R"j({"error":"Unauthorized: sign in at /oauth2/sign_in (the dashboard's login)"})j"));
  }
  std::string rd(req.path);
  if (!req.query.empty()) rd += "?" + std::string(req.query);
  http::HttpResponse r = http::HttpResponse::Text(302, "sign in first: /oauth2/sign_in\n");
  r.headers.emplace_back("Location", "/oauth2/sign_in?rd=" + web::UrlEncode(rd));
  r.headers.emplace_back("Cache-Control", "no-store");
  responder.Send(std::move(r));
}

}  // namespace ferry::ingress
