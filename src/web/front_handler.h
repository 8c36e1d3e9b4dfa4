// FrontHandler: one listener for both the Kubernetes-compatible API and the
// dashboard. API paths (/api, /apis, /version, /openapi, /.well-known,
// /openid, /ferry) go to the API handler and everything else to WebHandler.
// An API call without an Authorization header but with a live dashboard
// session is made as the signed-in user: it gets the session's credential
// from WebHandler::ApiCredential (the user's own short-lived token; the
// admin token only for a session opened with it), so the API's
// authentication and RBAC decide exactly as for the user's kubectl.
//
// GET /ferry/namespaces (dashboard sessions) answers the namespaces the user
// can reach — {"namespaces": [...]}: all of them when the user may list
// namespaces, else those where RBAC lets the user get the Namespace or list
// its InferenceServices (Kubeflow: where a RoleBinding makes them owner or
// contributor) — each decided by a SelfSubjectAccessReview made as the user
// through the API handler.
//
// Who calls it: `ferry up` puts one on the HTTPS API listener and a read-only
// one behind the external gateway's dashboard host. Threads: as the handlers
// it wraps; it holds no state of its own. Both handlers are borrowed.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_types.h"
#include "web/web_handler.h"

namespace ferry::web {

class FrontHandler : public http::HttpHandler {
 public:
  // read_only: session-backed API calls may only read (get, list, watch; the
  // self-review APIs and `authz check`, which change nothing) — for the
  // dashboard on the plain-HTTP external gateway. What they may read is
  // RBAC's decision for the user (Secrets included).
  FrontHandler(http::HttpHandler* api, WebHandler* web, bool read_only = false)
      : api_(api), web_(web), read_only_(read_only) {}

  // Every namespace's name, read by the control plane (not as the user):
  // the candidates /ferry/namespaces checks one by one. Unset: only users
  // who may list namespaces see any. Call before serving.
  void SetNamespaceLister(std::function<std::vector<std::string>()> lister) {
    namespaces_ = std::move(lister);
  }

  void Handle(http::HttpRequest& request, http::Responder responder) override;

 private:
  void Namespaces(const http::HttpRequest& request, const std::string& credential,
                  http::Responder responder);
  // One in-process API call with `credential`; the answer, or 500 when the
  // API did not answer at once.
  http::HttpResponse CallApi(const http::HttpRequest& like, std::string method,
                               std::string target, std::string body,
                               const std::string& credential);
  // A SelfSubjectAccessReview as the caller of `credential`.
  bool Allowed(const http::HttpRequest& like, const std::string& credential,
               std::string_view verb, std::string_view group, std::string_view resource,
               std::string_view ns, std::string_view name);

  http::HttpHandler* api_;
  WebHandler* web_;
  bool read_only_ = false;
  std::function<std::vector<std::string>()> namespaces_;
};

// Why a read-only dashboard refuses this session-backed API call (decided on
// the request as the API will parse it: decoded path, kube verb, resource),
// or empty when it may pass. `query` is the raw query string.
std::string ReadOnlyRefusal(std::string_view method, std::string_view path,
                            std::string_view query);

// True for paths the API server owns ("/api/v1/..." but not "/api.js").
bool IsApiPath(std::string_view path);

}  // namespace ferry::web
