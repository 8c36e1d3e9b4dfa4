// ApiServer: Ferry's Kubernetes-compatible API server (`ferry up`), an
// HttpHandler that real kubectl (v1.32) and client libraries talk to. It
// serves legacy discovery, a minimal OpenAPI v3 (server-side field
// validation), CRUD + PATCH (merge, JSON, strategic, apply) + watch for the
// kinds in kinds_*.cc, Table output, kube Status errors, the ServiceAccount
// TokenRequest subresource and the OIDC discovery/JWKS documents.
//
// Who calls it: the HttpServer listener (Handle) and in-process components
// through client() (a ResourceClient with the same semantics, no HTTP).
//
// Model server logs: GET .../inferenceservices/NAME/log[?tailLines=N] answers
// text/plain from isvc_logs() (the controller and the model router append).
// Readiness: /readyz is 503 until the function given to SetReadiness (the
// controller's initial sync) returns true.
//
// Authentication and authorization, as kube-apiserver (see auth/ and
// authorization.cc): a bearer token is the admin token (kubernetes-admin,
// system:masters), a ServiceAccount token from TokenRequest for the API
// audience, or an OIDC user token of the built-in oauth2-proxy/Dex; no
// credential is system:anonymous; a bad one is 401. Impersonate-* headers
// (kubectl --as) are honoured for callers allowed to `impersonate`. Every
// request is then authorized by RBAC (system:masters always allowed) on its
// parsed form (auth::RequestInfo) and refused with Kubernetes' 403 wording.
// Kubernetes' bootstrap roles and bindings are reconciled at construction;
// ClusterRole aggregation runs after each ClusterRole write. The review APIs
// (SelfSubjectAccessReview, SelfSubjectRulesReview, SubjectAccessReview,
// LocalSubjectAccessReview, SelfSubjectReview, TokenReview) are served.
// In-process callers of client() are the control plane and are not checked.
// kubectl sends tokens only over HTTPS.
//
// Threads: Handle runs on the listener's I/O threads and answers at once,
// except watches, which stream from the store's writing thread (see
// watch_hub.h). AddAdmission must be called before the listener starts.
// Owns: the ObjectService, the watch streams and the ResourceClient; borrows
// the store and the signer, which must outlive it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "http/http_types.h"
#include "store/resource_store.h"

namespace ferry::api {

class IsvcLogs;
class ResourceClient;
class TokenSigner;

struct ApiServerOptions {
  // The admin credential (user kubernetes-admin in system:masters); empty: none.
  std::string admin_token;
  std::string issuer = "https://kubernetes.default.svc.cluster.local";
  // Created at construction if missing.
  std::vector<std::string> initial_namespaces = {"default"};
  // POSTs into a missing namespace fail with NotFound, as in Kubernetes.
  bool require_namespaces = true;
  // A watch without timeoutSeconds ends after this.
  std::chrono::seconds default_watch_timeout{1800};
  std::chrono::seconds max_token_lifetime{48 * 3600};
  // Audiences a ServiceAccount token must name to be valid here; empty: {issuer}.
  std::vector<std::string> api_audiences;
  // The OIDC client id user tokens are issued for (the oauth2-proxy's Dex
  // client, kube-apiserver --oidc-client-id); empty: no OIDC users.
  std::string oidc_client_id = "kubeflow-oidc-authservice";
  // Create/reconcile Kubernetes' bootstrap ClusterRoles and bindings at construction.
  bool bootstrap_rbac = true;
};

class ApiServer : public http::HttpHandler {
 public:
  // `signer` may be null: TokenRequest then answers 503 and JWKS is empty.
  ApiServer(store::ResourceStore* store, TokenSigner* signer, ApiServerOptions options);
  ~ApiServer() override;  // ends open watch streams

  // Extra validation/defaulting for `kind` (e.g. "InferenceService"), run after
  // the built-in defaults and before built-in validation on every create and
  // spec update. An InvalidArgument "field.path: message" becomes 422 Invalid
  // with that field; other codes map as in api_error.h.
  using AdmissionHook =
      std::function<Status(nlohmann::json& obj, bool create, std::vector<std::string>* warnings)>;
  void AddAdmission(std::string kind, AdmissionHook hook);

  ResourceClient& client();
  IsvcLogs& isvc_logs();
  // /readyz answers 200 only once `ready` returns true; call before serving.
  void SetReadiness(std::function<bool()> ready);

  void Handle(http::HttpRequest& request, http::Responder responder) override;
  // For handlers in front of the API that serve paths of their own (`ferry
  // authz check`): authenticates `request` as Handle does (impersonation
  // included) and asks RBAC whether it may use the non-resource URL `path`
  // with the request's method. The 401/403 to send, or nullopt when allowed.
  std::optional<http::HttpResponse> AuthorizeNonResource(http::HttpRequest& request,
                                                           std::string_view path);
  // Ends all watch streams now (before stopping the listener).
  void Shutdown();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::api
