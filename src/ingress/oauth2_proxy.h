// The built-in `oauth2-proxy`: Kubeflow's oauth2-proxy + Dex, in-process. It
// is both the ext-authz provider the `istio-ingressgateway-oauth2-proxy`
// CUSTOM policy calls and the `/oauth2/...` endpoints of the external gateway.
//
// Check (the ext-authz side), as oauth2-proxy answers Envoy:
//  - a live `oauth2_proxy_kubeflow` session cookie → 200 with
//    `authorization: Bearer <user JWT>` and `x-auth-request-{email,user}`; the
//    JWT is signed by Ferry's issuer (the m2m-token-issuer
//    RequestAuthentication verifies it and maps sub → kubeflow-userid, so sub
//    is the email, which ns-owner-access-istio compares with the profile
//    owner);
//  - no session: 401 JSON for API routes (/api/, /apis/, /ml_metadata) or
//    `Accept: application/json` (only visible when the provider forwards it),
//    else 403 with the sign-in page (Kubeflow's skip_provider_button=false),
//    whose form posts to /oauth2/sign_in and returns to the original path.
// HandleRoute serves /oauth2/sign_in (GET page, POST credentials checked
// against the dashboard's static users, DATA_DIR/users, through the shared
// web::PasswordSignIn: CSRF token, throttling, default password only from
// this machine; `rd` only to a same-origin path), /oauth2/start,
// /oauth2/sign_out, /oauth2/auth, /oauth2/userinfo and /oauth2/callback.
//
// Who calls it: the gateway engine (Check, via the ExtAuthzRegistry) and
// ExternalFront (HandleRoute, SessionUser); the dashboard's Try-it asks
// SessionCookieFor. Threads: all methods are thread-safe (sessions under a
// mutex; the users file is re-read when it changes). The signer is borrowed.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/status.h"
#include "gateway/ext_authz.h"
#include "http/http_types.h"

namespace ferry::api {
class TokenSigner;
}

namespace ferry::web {
class PasswordSignIn;
}

namespace ferry::ingress {

// Kubeflow's oauth2-proxy cookie_name, and its CSRF cookie (upstream names
// it after the session cookie).
inline constexpr char kOauth2Cookie[] = "oauth2_proxy_kubeflow";
inline constexpr char kOauth2CsrfCookie[] = "oauth2_proxy_kubeflow_csrf";

struct Oauth2ProxyOptions {
  std::string users_file;  // web::UserStore format; created with the default user if missing
  std::string issuer = "https://kubernetes.default.svc.cluster.local";
  std::string audience = "kubeflow-oidc-authservice";  // Kubeflow's Dex client id
  std::chrono::seconds session_ttl{24 * 3600};         // Kubeflow's cookie_expire
  bool secure_cookie = false;                          // the external listener is plain HTTP
  // The password gate shared with the dashboard (`ferry up`); null: opened
  // from users_file.
  std::shared_ptr<web::PasswordSignIn> sign_in;
};

class Oauth2Proxy : public gateway::ExtAuthzClient {
 public:
  // `signer` may be null (tests): sessions then carry no Authorization.
  Oauth2Proxy(Oauth2ProxyOptions options, api::TokenSigner* signer);
  ~Oauth2Proxy() override;

  // Not OK when the users file could not be read or written (sign-in then
  // always fails with that message).
  const Status& init_status() const;

  StatusOr<gateway::ExtAuthzResponse> Check(const gateway::ExtAuthzProvider& provider,
                                            const gateway::ExtAuthzCheckRequest& request) override;

  // Answers a request whose path starts with /oauth2/.
  void HandleRoute(http::HttpRequest& request, http::Responder responder);

  // True (and the email) when the request carries a live session cookie.
  bool SessionUser(const http::HttpRequest& request, std::string* email) const;

  // "oauth2_proxy_kubeflow=<id>" of a live session for `email`, created (and
  // then reused) without a password: for callers that already authenticated
  // the user, such as the dashboard's Try-it. Empty when signing fails.
  std::string SessionCookieFor(const std::string& email);

  // A short-lived (10 min) user token for `email` with the same claims as a
  // session's JWT — what the dashboard's API calls carry as that user (the
  // API authenticates it as an OIDC user token). Reused while it has more
  // than 5 min left. Empty without a signer or when signing fails.
  std::string UserToken(const std::string& email);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True for oauth2-proxy's Kubeflow api_routes (/api/, /apis/, ^/ml_metadata).
bool IsOauth2ApiRoute(std::string_view path);

}  // namespace ferry::ingress
