// Who is asking and may they: the API server's authentication chain, the
// impersonation filter, the authorization of each parsed request, and the
// privilege-escalation checks on RBAC writes — kube-apiserver's filters
// (WithAuthentication, WithImpersonation, WithAuthorization) and RBAC
// storage, in that order, over auth/.
#include <nlohmann/json.hpp>

#include "api/api_server_impl.h"
#include "auth/authorizer.h"
#include "auth/escalation.h"
#include "auth/forbidden.h"
#include "auth/impersonation.h"

namespace ferry::api {
namespace {

using nlohmann::json;

constexpr std::string_view kRbacGroup = "rbac.authorization.k8s.io";

// Kubernetes' IsOnlyMutatingGCFields: only ownerReferences/finalizers differ.
bool OnlyGcFieldsChanged(const json& obj, const json& old) {
  auto strip = [](json o) {
    if (o.contains("metadata") && o["metadata"].is_object()) {
      for (const char* f :
           {"ownerReferences", "finalizers", "resourceVersion", "managedFields", "generation"}) {
        o["metadata"].erase(f);
      }
    }
    o.erase("apiVersion");
    o.erase("kind");
    return o;
  };
  return strip(obj) == strip(old);
}

bool HasAggregationRule(const json* role) {
  if (role == nullptr) return false;
  const json& sel = At(*role, "aggregationRule.clusterRoleSelectors");
  return sel.is_array() && !sel.empty();
}

}  // namespace

ApiError ApiServer::Impl::Authenticate(http::HttpRequest& req, auth::UserInfo* user) const {
  // bearertoken.go: no header, another scheme or an empty token is "no
  // credential" (anonymous); a bearer token that does not authenticate is 401.
  std::string_view header = req.Header("authorization");
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  size_t space = header.find(' ');
  std::string scheme(header.substr(0, space));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (space == std::string_view::npos || scheme != "bearer") {
    *user = auth::AnonymousUser();
    return {};
  }
  std::string_view token = header.substr(space + 1);
  token = token.substr(0, token.find(' '));
  if (token.empty()) {
    *user = auth::AnonymousUser();
    return {};
  }
  auto u = authn->AuthenticateToken(token);
  if (!u.ok()) return Unauthorized();
  *user = std::move(*u);
  // Nothing after authentication needs the credential; do not pass it on.
  std::erase_if(req.headers, [](const auto& h) { return h.first == "authorization"; });
  return {};
}

ApiError ApiServer::Impl::Impersonate(http::HttpRequest& req, auth::UserInfo* user) {
  auto parsed = auth::ParseImpersonation(req.headers);
  if (!parsed.ok()) return InternalServerError(parsed.status().message());
  if (!parsed->has_value()) return {};
  auth::Impersonation& imp = **parsed;
  for (auth::Attributes& check : imp.checks) {
    check.user = user;
    RETURN_API_ERROR(Authorize(check));
  }
  *user = std::move(imp.user);
  std::erase_if(req.headers, [](const auto& h) { return h.first.rfind("impersonate-", 0) == 0; });
  return {};
}

ApiError ApiServer::Impl::Authorize(const auth::Attributes& attrs) {
  auth::Decision d = auth::Authorize(*rbac.Snapshot(), attrs, /*explain=*/false);
  if (d.allowed) return {};
  return ForbiddenResource(attrs.api_group, attrs.resource_request ? attrs.resource : "",
                           attrs.name, auth::ForbiddenStatusMessage(attrs, d.reason));
}

WriteCheck ApiServer::Impl::RbacWriteCheck(const KindInfo& kind, const auth::RequestInfo& info,
                                           const auth::UserInfo& user) {
  if (kind.group != kRbacGroup || user.InGroup(auth::kPrivilegedGroup)) return nullptr;
  bool binding = kind.kind == "RoleBinding" || kind.kind == "ClusterRoleBinding";
  std::string ns = kind.namespaced ? info.ns : "";
  return [this, &kind, info, user, binding, ns](const json& obj, const json* old) -> ApiError {
    auto snapshot = rbac.Snapshot();
    std::string name = StringAt(obj, "metadata.name");
    auto forbidden = [&](std::string why) {
      return ForbiddenResource(kRbacGroup, kind.plural, name,
                               kind.plural + "." + std::string(kRbacGroup) + " " +
                                   auth::GoQuote(name) + " is forbidden: " + why);
    };
    auto allowed = [&](std::string verb, std::string resource, std::string on_name) {
      auth::Attributes a;
      a.user = &user;
      a.verb = std::move(verb);
      a.resource_request = true;
      a.api_group = std::string(kRbacGroup);
      a.api_version = "*";
      a.resource = std::move(resource);
      a.name = std::move(on_name);
      a.ns = ns;
      return auth::Authorize(*snapshot, a, /*explain=*/false).allowed;
    };
    std::vector<auth::PolicyRule> granted;
    if (!binding) {
      // The `escalate` verb on this role (named as in the request: on create
      // there is no name yet, as in Kubernetes).
      if (allowed("escalate", kind.plural, info.name)) return {};
      if (old != nullptr && OnlyGcFieldsChanged(obj, *old)) return {};
      granted = auth::ParseRules(At(obj, "rules"));
    } else {
      if (old != nullptr && OnlyGcFieldsChanged(obj, *old)) return {};
      std::string ref_kind = StringAt(obj, "roleRef.kind"),
                  ref_name = StringAt(obj, "roleRef.name");
      std::string ref_group = StringAt(obj, "roleRef.apiGroup");
      bool cluster_binding = kind.kind == "ClusterRoleBinding";
      if (ref_group != kRbacGroup || (ref_kind != "ClusterRole" && ref_kind != "Role") ||
          (cluster_binding && ref_kind != "ClusterRole")) {
        return {};  // not a bindable roleRef: validation, next, says why
      }
      if (allowed("bind", ref_kind == "Role" ? "roles" : "clusterroles", ref_name)) return {};
      std::string error;
      if (!snapshot->RoleRefRules(ref_kind, ref_name, ns, &granted, &error)) {
        return NotFound(*FindKindByResource(std::string(kRbacGroup), "v1",
                                            ref_kind == "Role" ? "roles" : "clusterroles"),
                        ref_name);
      }
    }
    std::vector<auth::PolicyRule> missing;
    std::vector<auth::PolicyRule> held = snapshot->RulesFor(user, ns, nullptr);
    if (!auth::Covers(held, granted, &missing)) {
      return forbidden(auth::EscalationMessage(user, missing));
    }
    if (kind.kind == "ClusterRole" && (HasAggregationRule(&obj) || HasAggregationRule(old)) &&
        !auth::Covers(held, auth::FullAuthority())) {
      return forbidden("must have cluster-admin privileges to use the aggregationRule");
    }
    return {};
  };
}

}  // namespace ferry::api
