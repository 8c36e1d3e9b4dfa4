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

#include "http/http_types.h"
#include "web/web_handler.h"

namespace ferry::web {

class FrontHandler : public http::HttpHandler {
 public:
  // read_only: session-backed API calls may only read (GET/HEAD, watches,
  // `authz check`) and never Secrets — for the dashboard on the plain-HTTP
  // external gateway, where static users sign in: the admin token stays an
  // API-port (HTTPS) power.
  FrontHandler(http::HttpHandler* api, WebHandler* web, std::string admin_token,
               bool read_only = false)
      : api_(api), web_(web), admin_token_(std::move(admin_token)), read_only_(read_only) {}

  void Handle(http::HttpRequest& request, http::Responder responder) override;

 private:
  http::HttpHandler* api_;
  WebHandler* web_;
  std::string admin_token_;
  bool read_only_ = false;
};

// True when a read-only dashboard may pass this session-backed API call.
bool ReadOnlyAllows(std::string_view method, std::string_view path);

// True for paths the API server owns ("/api/v1/..." but not "/api.js").
bool IsApiPath(std::string_view path);

}  // namespace ferry::web
