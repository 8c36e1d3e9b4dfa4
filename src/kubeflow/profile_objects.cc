#include "kubeflow/profile_objects.h"

namespace ferry::kubeflow {
namespace {

using nlohmann::json;

constexpr char kRbacGroup[] = "rbac.authorization.k8s.io";

std::string Name(const json& profile) { return profile["metadata"].value("name", ""); }

std::string OwnerName(const json& profile) {
  if (!profile.contains("spec") || !profile["spec"].contains("owner")) return "";
  return profile["spec"]["owner"].value("name", "");
}

json Meta(const json& profile, const std::string& name, bool namespaced) {
  json meta = {{"name", name}, {"ownerReferences", json::array({ControllerReference(profile)})}};
  if (namespaced) meta["namespace"] = Name(profile);
  return meta;
}

json Binding(const json& profile, const std::string& name, const std::string& cluster_role,
             json subject) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "RoleBinding"},
          {"metadata", Meta(profile, name, true)},
          {"roleRef", {{"apiGroup", kRbacGroup}, {"kind", "ClusterRole"}, {"name", cluster_role}}},
          {"subjects", json::array({std::move(subject)})}};
}

}  // namespace

const std::map<std::string, std::string>& NamespaceLabels() {
  static const std::map<std::string, std::string> labels = {
      {"istio-injection", "enabled"},
      {"katib.kubeflow.org/metrics-collector-injection", "enabled"},
      {"serving.kubeflow.org/inferenceservice", "enabled"},
      {"pipelines.kubeflow.org/enabled", "true"},
      {"app.kubernetes.io/part-of", "kubeflow-profile"},
  };
  return labels;
}

json ControllerReference(const json& profile) {
  return {{"apiVersion", "kubeflow.org/v1"},
          {"kind", "Profile"},
          {"name", Name(profile)},
          {"uid", profile["metadata"].value("uid", "")},
          {"controller", true},
          {"blockOwnerDeletion", true}};
}

json OwnerSubject(const json& profile) {
  json subject = json::object();
  if (profile.contains("spec") && profile["spec"].value("owner", json()).is_object()) {
    subject = profile["spec"]["owner"];
  }
  std::string kind = subject.value("kind", "");
  if ((kind == "User" || kind == "Group") && !subject.contains("apiGroup")) {
    subject["apiGroup"] = kRbacGroup;
  }
  return subject;
}

json ProfileNamespace(const json& profile) {
  json labels = json::object();
  for (const auto& [k, v] : NamespaceLabels()) labels[k] = v;
  json meta = Meta(profile, Name(profile), false);
  meta["labels"] = std::move(labels);
  meta["annotations"] = {{"owner", OwnerName(profile)}};
  return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", std::move(meta)}};
}

json ProfileServiceAccount(const json& profile, const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", Meta(profile, name, true)}};
}

json ServiceAccountBinding(const json& profile, const std::string& sa_name) {
  std::string role = sa_name == kDefaultEditor ? "kubeflow-edit" : "kubeflow-view";
  return Binding(profile, sa_name, role,
                 {{"kind", "ServiceAccount"}, {"name", sa_name}, {"namespace", Name(profile)}});
}

json NamespaceAdminBinding(const json& profile) {
  json rb = Binding(profile, kNamespaceAdminBinding, "kubeflow-admin", OwnerSubject(profile));
  rb["metadata"]["annotations"] = {{"user", OwnerName(profile)}, {"role", "admin"}};
  return rb;
}

json ResourceQuota(const json& profile) {
  json spec = profile.contains("spec") ? profile["spec"].value("resourceQuotaSpec", json())
                                       : json();
  if (!spec.is_object() || !spec.value("hard", json()).is_object() || spec["hard"].empty()) {
    return nullptr;
  }
  return {{"apiVersion", "v1"},
          {"kind", "ResourceQuota"},
          {"metadata", Meta(profile, kQuotaName, true)},
          {"spec", spec}};
}

json OwnerAccessPolicySpec(const std::string& ns, const std::string& owner,
                           const PolicyOptions& o) {
  json rules = json::array();
  rules.push_back({{"when", json::array({{{"key", "request.headers[" + o.userid_header + "]"},
                                          {"values", json::array({o.userid_prefix + owner})}}})},
                   {"from", json::array({{{"source", {{"principals", o.gateway_principals}}}}})}});
  rules.push_back(
      {{"when", json::array({{{"key", "source.namespace"}, {"values", json::array({ns})}}})}});
  rules.push_back(
      {{"to",
        json::array({{{"operation", {{"paths", {"/healthz", "/metrics", "/wait-for-drain"}}}}}})}});
  rules.push_back(
      {{"from", json::array({{{"source", {{"principals", {o.notebook_controller_principal}}}}}})},
       {"to",
        json::array({{{"operation", {{"methods", {"GET"}}, {"paths", {"*/api/kernels"}}}}}})}});
  return {{"rules", std::move(rules)}};
}

json OwnerAccessPolicy(const std::string& ns, const std::string& owner, const PolicyOptions& o) {
  return {{"apiVersion", "security.istio.io/v1beta1"},
          {"kind", "AuthorizationPolicy"},
          {"metadata",
           {{"name", kOwnerPolicyName},
            {"namespace", ns},
            {"annotations", {{"user", owner}, {"role", "admin"}}}}},
          {"spec", OwnerAccessPolicySpec(ns, owner, o)}};
}

}  // namespace ferry::kubeflow
