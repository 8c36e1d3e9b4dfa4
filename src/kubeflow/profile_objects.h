// What Kubeflow 1.9's profile controller creates for a Profile
// (components/profile-controller/controllers/profile_controller.go at the
// image tag manifests v1.9.1 pins), as the JSON objects the API stores: the
// namespace with its labels and `owner` annotation, the default-editor /
// default-viewer ServiceAccounts and their RoleBindings, the owner's
// `namespaceAdmin` RoleBinding, the `ns-owner-access-istio`
// AuthorizationPolicy and the `kf-resource-quota` ResourceQuota — each with
// the Profile as its controller ownerReference. Also Kubeflow's pinned
// ClusterRoles (deploy/kubeflow-1.9.1), embedded at build time.
//
// Called by the controller's ProfileReconciler and `ferry up`'s bootstrap.
// Pure functions, any thread.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::kubeflow {

inline constexpr char kProfileFinalizer[] = "profile-finalizer";
inline constexpr char kOwnerPolicyName[] = "ns-owner-access-istio";
inline constexpr char kQuotaName[] = "kf-resource-quota";
inline constexpr char kNamespaceAdminBinding[] = "namespaceAdmin";
inline constexpr char kDefaultEditor[] = "default-editor";
inline constexpr char kDefaultViewer[] = "default-viewer";
// Profile status condition types (profilev1.ProfileSucceed / ProfileFailed).
inline constexpr char kConditionSuccessful[] = "Successful";
inline constexpr char kConditionFailed[] = "Failed";

// The gateway identities Kubeflow's policies trust (the controller's and
// KFAM's environment defaults).
struct PolicyOptions {
  std::string userid_header = "kubeflow-userid";
  std::string userid_prefix;  // USERID_PREFIX, empty by default
  std::vector<std::string> gateway_principals = {
      "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
      "cluster.local/ns/kubeflow/sa/ml-pipeline-ui"};
  std::string notebook_controller_principal =
      "cluster.local/ns/kubeflow/sa/notebook-controller-service-account";
};

// Labels the controller adds to a Profile's namespace when missing: its
// `istio-injection: enabled` and the manifests' namespace-labels.yaml.
const std::map<std::string, std::string>& NamespaceLabels();

// controllerutil.SetControllerReference(profile, ...): the Profile as the
// controlling owner, blocking the owner's deletion.
nlohmann::json ControllerReference(const nlohmann::json& profile);

// spec.owner as a RoleBinding subject (User and Group get the RBAC apiGroup,
// as the API server defaults it).
nlohmann::json OwnerSubject(const nlohmann::json& profile);

nlohmann::json ProfileNamespace(const nlohmann::json& profile);
nlohmann::json ProfileServiceAccount(const nlohmann::json& profile, const std::string& name);
// default-editor → kubeflow-edit, default-viewer → kubeflow-view.
nlohmann::json ServiceAccountBinding(const nlohmann::json& profile, const std::string& sa_name);
// namespaceAdmin: the owner → kubeflow-admin, annotations user / role=admin.
nlohmann::json NamespaceAdminBinding(const nlohmann::json& profile);
// kf-resource-quota from spec.resourceQuotaSpec (null when it has no `hard`).
nlohmann::json ResourceQuota(const nlohmann::json& profile);
// ns-owner-access-istio (no `action`: the controller leaves ALLOW, the
// proto default, unset).
nlohmann::json OwnerAccessPolicySpec(const std::string& ns, const std::string& owner,
                                     const PolicyOptions& options = {});
nlohmann::json OwnerAccessPolicy(const std::string& ns, const std::string& owner,
                                 const PolicyOptions& options = {});

// Kubeflow's pinned manifests (path below deploy/kubeflow-1.9.1, YAML text);
// the table ends with {nullptr, {}}.
struct PinnedManifest {
  const char* path;
  std::string_view text;
};
extern const PinnedManifest kPinnedManifests[];

}  // namespace ferry::kubeflow
