#include "auth/authenticator.h"

#include <chrono>

#include "auth/policy_rule.h"

namespace ferry::auth {
namespace {

using nlohmann::json;

constexpr int64_t kServiceAccountLeeway = 60;  // go-jose's DefaultLeeway
constexpr int64_t kOidcNbfSkew = 300;          // go-oidc: clock skew allowed for nbf

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<int64_t> NumericClaim(const json& claims, const char* key) {
  auto it = claims.find(key);
  if (it == claims.end() || !it->is_number()) return std::nullopt;
  return it->is_number_integer() ? it->get<int64_t>() : static_cast<int64_t>(it->get<double>());
}

std::string Str(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

Status Unauthenticated(std::string why) { return UnauthenticatedError(std::move(why)); }

void AddAuthenticated(UserInfo* u) {
  if (!u->InGroup(kAllAuthenticated)) u->groups.emplace_back(kAllAuthenticated);
}

}  // namespace

Authenticator::Authenticator(AuthenticatorOptions options, const json& jwks, UidLookup lookup)
    : options_(std::move(options)),
      verifier_(std::make_unique<JwksVerifier>(jwks)),
      lookup_(std::move(lookup)) {
  audiences_ = options_.api_audiences.empty() ? std::vector<std::string>{options_.issuer}
                                              : options_.api_audiences;
}

StatusOr<UserInfo> Authenticator::AuthenticateToken(
    std::string_view token, const std::vector<std::string>& audiences) const {
  if (!options_.admin_token.empty() && ConstantTimeEquals(token, options_.admin_token)) {
    UserInfo u;
    u.name = std::string(kAdminUser);
    u.groups = {std::string(kPrivilegedGroup), std::string(kAllAuthenticated)};
    return u;
  }
  auto jwt = ParseJwt(token);
  if (!jwt.ok()) return Unauthenticated("invalid bearer token");
  if (!verifier_->Verify(*jwt)) {
    return Unauthenticated(
        "invalid bearer token: the signature does not verify with this "
        "server's keys");
  }
  if (Str(jwt->claims, "iss") != options_.issuer) {
    return Unauthenticated("invalid bearer token: issuer " + GoQuote(Str(jwt->claims, "iss")) +
                           " is not " + GoQuote(options_.issuer));
  }
  if (jwt->claims.contains("kubernetes.io")) {
    return ServiceAccountUser(*jwt, audiences.empty() ? audiences_ : audiences);
  }
  if (options_.oidc_client_id.empty()) return Unauthenticated("invalid bearer token");
  return OidcUser(*jwt);
}

StatusOr<UserInfo> Authenticator::ServiceAccountUser(
    const Jwt& jwt, const std::vector<std::string>& audiences) const {
  std::vector<std::string> aud = Audiences(jwt.claims);
  bool match = false;
  for (const std::string& a : aud) {
    for (const std::string& want : audiences) match = match || a == want;
  }
  if (!match) {
    return Unauthenticated("token audiences " + GoQuote(aud) +
                           " is invalid for the target audiences " + GoQuote(audiences));
  }
  int64_t now = Now();
  auto exp = NumericClaim(jwt.claims, "exp");
  auto nbf = NumericClaim(jwt.claims, "nbf");
  if (exp && now > *exp + kServiceAccountLeeway) {
    return Unauthenticated("service account token has expired");
  }
  if (nbf && now < *nbf - kServiceAccountLeeway) {
    return Unauthenticated("service account token is not valid yet");
  }
  const json& k8s = jwt.claims["kubernetes.io"];
  std::string ns = Str(k8s, "namespace");
  const json& sa = k8s.is_object() ? k8s.value("serviceaccount", json()) : json();
  std::string name = Str(sa, "name"), uid = Str(sa, "uid");
  if (ns.empty() || name.empty()) {
    return Unauthenticated("service account token has no namespace or service account name");
  }
  std::optional<std::string> live = lookup_("ServiceAccount", ns, name);
  if (!live) {
    return Unauthenticated("serviceaccounts " + GoQuote(name) + " not found");
  }
  if (*live != uid) {
    return Unauthenticated("service account UID (" + *live + ") does not match claim (" + uid +
                           ")");
  }
  UserInfo u;
  u.name = ServiceAccountUsername(ns, name);
  u.uid = uid;
  u.groups = ServiceAccountGroups(ns);
  for (const char* kind : {"secret", "pod", "node"}) {
    const json& ref = k8s.is_object() ? k8s.value(kind, json()) : json();
    if (!ref.is_object()) continue;
    std::string bound_kind = kind == std::string("secret") ? "Secret"
                             : kind == std::string("pod")  ? "Pod"
                                                           : "Node";
    std::optional<std::string> bound =
        lookup_(bound_kind, bound_kind == "Node" ? "" : ns, Str(ref, "name"));
    if (!bound) return Unauthenticated("service account token has been invalidated");
    if (*bound != Str(ref, "uid")) {
      return Unauthenticated(std::string(kind) + " UID (" + *bound +
                             ") does not match service account " + kind + " ref claim (" +
                             Str(ref, "uid") + ")");
    }
    std::string key = std::string("authentication.kubernetes.io/") + kind;
    u.extra[key + "-name"] = {Str(ref, "name")};
    u.extra[key + "-uid"] = {Str(ref, "uid")};
  }
  std::string jti = Str(jwt.claims, "jti");
  if (!jti.empty()) u.extra["authentication.kubernetes.io/credential-id"] = {"JTI=" + jti};
  AddAuthenticated(&u);
  return u;
}

StatusOr<UserInfo> Authenticator::OidcUser(const Jwt& jwt) const {
  std::vector<std::string> aud = Audiences(jwt.claims);
  bool match = false;
  for (const std::string& a : aud) match = match || a == options_.oidc_client_id;
  if (!match) {
    return Unauthenticated("oidc: expected audience " + GoQuote(options_.oidc_client_id) + " got " +
                           GoQuote(aud));
  }
  int64_t now = Now();
  auto exp = NumericClaim(jwt.claims, "exp");
  auto nbf = NumericClaim(jwt.claims, "nbf");
  if (!exp) return Unauthenticated("oidc: the token has no exp claim");
  if (now > *exp) return Unauthenticated("oidc: token is expired");
  if (nbf && now < *nbf - kOidcNbfSkew) return Unauthenticated("oidc: current time before the nbf");
  const std::string& claim = options_.oidc_username_claim;
  std::string username = Str(jwt.claims, claim.c_str());
  if (username.empty()) {
    return Unauthenticated("oidc: parse username claims " + GoQuote(claim) + ": claim not present");
  }
  if (claim == "email") {
    auto verified = jwt.claims.find("email_verified");
    if (verified != jwt.claims.end() && !(verified->is_boolean() && verified->get<bool>())) {
      return Unauthenticated("oidc: email not verified");
    }
  }
  UserInfo u;
  u.name = username;
  auto groups = jwt.claims.find(options_.oidc_groups_claim);
  if (groups != jwt.claims.end() && groups->is_string()) {
    u.groups.push_back(groups->get<std::string>());
  } else if (groups != jwt.claims.end() && groups->is_array()) {
    for (const json& g : *groups) {
      if (!g.is_string()) return Unauthenticated("oidc: parse groups claim: not a list of strings");
      u.groups.push_back(g.get<std::string>());
    }
  }
  AddAuthenticated(&u);
  return u;
}

}  // namespace ferry::auth
