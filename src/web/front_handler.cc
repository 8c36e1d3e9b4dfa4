#include "web/front_handler.h"

namespace ferry::web {

bool IsApiPath(std::string_view path) {
  for (std::string_view root :
       {"/api", "/apis", "/version", "/openapi", "/.well-known", "/openid"}) {
    if (path.substr(0, root.size()) == root &&
        (path.size() == root.size() || path[root.size()] == '/')) {
      return true;
    }
  }
  return false;
}

void FrontHandler::Handle(server::HttpRequest& request, server::Responder responder) {
  if (!IsApiPath(request.path)) return web_->Handle(request, std::move(responder));
  if (!request.HasHeader("authorization") && web_->SessionUser(request, nullptr)) {
    request.headers.emplace_back("authorization", "Bearer " + admin_token_);
  }
  api_->Handle(request, std::move(responder));
}

}  // namespace ferry::web
