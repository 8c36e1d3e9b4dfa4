// Kubernetes' bootstrap RBAC policy — the ClusterRoles and
// ClusterRoleBindings kube-apiserver installs at start and kubectl users
// rely on (cluster-admin; admin/edit/view, aggregated from the
// system:aggregate-to-* roles; system:discovery, system:basic-user,
// system:public-info-viewer, system:service-account-issuer-discovery,
// system:auth-delegator) — with their rules, labels and the autoupdate
// annotation, plus the one binding Ferry adds (see kFerryDiscoveryBinding).
// The rule lists are data copied from Kubernetes (source named in the .cc).
//
// Reconciliation is the apiserver's `rbac/bootstrap-roles` post-start hook
// (component-helpers auth/rbac/reconciliation): a missing object is created;
// an existing one keeps its changes but gets back missing rules, subjects,
// aggregation selectors, labels and annotations; a binding whose roleRef
// differs is recreated; the annotation
// rbac.authorization.kubernetes.io/autoupdate: "false" opts an object out.
// Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

namespace ferry::auth {

// Binds system:service-account-issuer-discovery (/.well-known/openid-configuration,
// /openid/v1/jwks) to every caller, authenticated or not: Ferry served them
// publicly before RBAC, and gateways verifying ServiceAccount tokens read them.
inline constexpr std::string_view kFerryDiscoveryBinding =
    "ferry:service-account-issuer-discovery-public";

std::vector<nlohmann::json> BootstrapClusterRoles();
std::vector<nlohmann::json> BootstrapClusterRoleBindings();

enum class ReconcileOp { kNone, kCreate, kUpdate, kRecreate };

struct Reconciled {
  ReconcileOp op = ReconcileOp::kNone;
  nlohmann::json object;   // what to write (for kCreate/kUpdate/kRecreate)
  bool opted_out = false;  // autoupdate "false": left alone
};

// `existing` is null when the object does not exist.
Reconciled ReconcileClusterRole(const nlohmann::json* existing, const nlohmann::json& expected);
Reconciled ReconcileClusterRoleBinding(const nlohmann::json* existing,
                                       const nlohmann::json& expected);

}  // namespace ferry::auth
