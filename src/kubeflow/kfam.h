// KFAM (Kubeflow Access Management, components/access-management/kfam at the
// image tag manifests v1.9.1 pins): a contributor of a profile namespace is a
// RoleBinding and an Istio AuthorizationPolicy, both named
// `user-<email>-clusterrole-<role>` by KFAM's getBindingName, annotated
// `user` and `role`. Also KFAM's REST shape (/kfam/v1/bindings): a Binding
// is {"user": {"kind": "User", "name": EMAIL}, "referredNamespace": NS,
// "roleRef": {"kind": "ClusterRole", "name": "edit"|"view"}}.
//
// Called by the API server's /kfam/v1/bindings handler and `ferry
// contributor`. Pure functions, any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "kubeflow/profile_objects.h"

namespace ferry::kubeflow {

struct Binding {
  std::string user_kind = "User";
  std::string user;  // the contributor's email
  std::string ns;    // referredNamespace
  std::string role_kind = "ClusterRole";
  std::string role;  // "edit" or "view" (KFAM's front-end names)
};

// KFAM's getBindingName: lower("<kind>-<user>-<roleKind>-<role>") with every
// run of characters other than [a-zA-Z0-9] replaced by one '-'.
std::string BindingName(const Binding& binding);

// A KFAM Binding from JSON; InvalidArgument naming the missing or wrong field.
StatusOr<Binding> ParseBinding(const nlohmann::json& body);
nlohmann::json BindingJson(const Binding& binding);

// The RoleBinding (roleRef kubeflow-<role>) and AuthorizationPolicy KFAM creates.
nlohmann::json ContributorRoleBinding(const Binding& binding);
nlohmann::json ContributorPolicy(const Binding& binding, const PolicyOptions& options = {});

// KFAM's List over one namespace's RoleBindings (a RoleBindingList's items):
// those annotated `user` and `role`, filtered by `user` and `role` when not
// empty, as {"bindings": [Binding...]} (the owner's namespaceAdmin included,
// role "admin", as KFAM answers).
nlohmann::json ListBindings(const nlohmann::json& role_bindings, const std::string& ns,
                            const std::string& user, const std::string& role);

}  // namespace ferry::kubeflow
