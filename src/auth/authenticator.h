// Authenticator: turns a bearer token into a UserInfo the way kube-apiserver's
// authenticator union does for the credentials Ferry issues:
//  - the admin token → "kubernetes-admin" in system:masters (kubeadm's
//    admin.conf user), compared in constant time;
//  - a ServiceAccount token signed by Ferry's TokenSigner (TokenRequest):
//    signature, iss == the issuer, an `aud` among the expected audiences (the
//    API's default audience is its issuer, as kube-apiserver's), exp/nbf with
//    Kubernetes' 60 s leeway, and the ServiceAccount (same uid) and any bound
//    Secret/Pod/Node still existing → system:serviceaccount:NS:NAME, groups
//    system:serviceaccounts and system:serviceaccounts:NS;
//  - an OIDC ID token (kube-apiserver's --oidc-* authenticator) as the
//    built-in oauth2-proxy/Dex signs them: same issuer, `aud` containing the
//    client id, username from the `email` claim (required; email_verified, if
//    present, must be true), groups from the `groups` claim; tokens carrying
//    the ServiceAccount claim (`kubernetes.io`) are never users.
// Every authenticated user also gets system:authenticated.
//
// Who calls it: the API server (Authorization header, TokenReview). The
// lookup callback reads live objects (it must be thread-safe). Immutable after
// construction; thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt.h"
#include "auth/user_info.h"
#include "common/status.h"

namespace ferry::auth {

inline constexpr std::string_view kAdminUser = "kubernetes-admin";

struct AuthenticatorOptions {
  std::string admin_token;  // empty: no admin credential
  std::string issuer = "https://kubernetes.default.svc.cluster.local";
  std::vector<std::string> api_audiences;                    // empty: {issuer}
  std::string oidc_client_id = "kubeflow-oidc-authservice";  // empty: no OIDC users
  std::string oidc_username_claim = "email";
  std::string oidc_groups_claim = "groups";
};

// The uid of a live object ("ServiceAccount", "Secret", "Pod" or "Node";
// `ns` empty for Nodes), or nullopt when it does not exist or is being deleted.
using UidLookup = std::function<std::optional<std::string>(
    std::string_view kind, std::string_view ns, std::string_view name)>;

class Authenticator {
 public:
  Authenticator(AuthenticatorOptions options, const nlohmann::json& jwks, UidLookup lookup);

  // The user `token` authenticates for `audiences` (empty: the API's);
  // Unauthenticated with the reason (what TokenReview reports) otherwise.
  StatusOr<UserInfo> AuthenticateToken(std::string_view token,
                                       const std::vector<std::string>& audiences = {}) const;
  const std::vector<std::string>& api_audiences() const { return audiences_; }

 private:
  StatusOr<UserInfo> ServiceAccountUser(const Jwt& jwt,
                                        const std::vector<std::string>& audiences) const;
  StatusOr<UserInfo> OidcUser(const Jwt& jwt) const;

  AuthenticatorOptions options_;
  std::vector<std::string> audiences_;
  std::unique_ptr<JwksVerifier> verifier_;
  UidLookup lookup_;
};

}  // namespace ferry::auth
