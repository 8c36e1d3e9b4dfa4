// FrontHandler: one listener for both the Kubernetes-compatible API and the
// dashboard. API paths (/api, /apis, /version, /openapi, /.well-known,
// /openid) go to the API handler — with `Authorization: Bearer <admin token>`
// added when the request has no Authorization header but a live dashboard
// session cookie — and everything else goes to WebHandler.
//
// Who calls it: `ferry up` puts it on the HTTPS API listener. Threads: as the
// handlers it wraps; it holds no state. Both handlers are borrowed.
#pragma once

#include <string>
#include <string_view>

#include "server/http_types.h"
#include "web/web_handler.h"

namespace ferry::web {

class FrontHandler : public server::HttpHandler {
 public:
  FrontHandler(server::HttpHandler* api, WebHandler* web, std::string admin_token)
      : api_(api), web_(web), admin_token_(std::move(admin_token)) {}

  void Handle(server::HttpRequest& request, server::Responder responder) override;

 private:
  server::HttpHandler* api_;
  WebHandler* web_;
  std::string admin_token_;
};

// True for paths the API server owns ("/api/v1/..." but not "/api.js").
bool IsApiPath(std::string_view path);

}  // namespace ferry::web
