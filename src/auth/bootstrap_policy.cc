#include "auth/bootstrap_policy.h"

#include "auth/escalation.h"
#include "auth/policy_rule.h"

namespace ferry::auth {
namespace {

using nlohmann::json;

// Rules, labels and aggregation of Kubernetes' bootstrap ClusterRoles, copied
// from kubernetes/kubernetes
// plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/cluster-roles.yaml
// (the fixture generated from policy.go; commit 025f2834a128798cef30018a5e6a6ae82b5ad885).
// Every role also gets the label kubernetes.io/bootstrapping: rbac-defaults
// and the annotation rbac.authorization.kubernetes.io/autoupdate: "true".
constexpr const char* kClusterRoles = R"json([
{"name": "cluster-admin", "rules": [
  {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
  {"nonResourceURLs": ["*"], "verbs": ["*"]}]},
{"name": "admin",
 "aggregationRule": {"clusterRoleSelectors": [
   {"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-admin": "true"}}]}},
{"name": "edit", "labels": {"rbac.authorization.k8s.io/aggregate-to-admin": "true"},
 "aggregationRule": {"clusterRoleSelectors": [
   {"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}}]}},
{"name": "view", "labels": {"rbac.authorization.k8s.io/aggregate-to-edit": "true"},
 "aggregationRule": {"clusterRoleSelectors": [
   {"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}]}},
{"name": "system:aggregate-to-admin",
 "labels": {"rbac.authorization.k8s.io/aggregate-to-admin": "true"}, "rules": [
  {"apiGroups": ["authorization.k8s.io"], "resources": ["localsubjectaccessreviews"],
   "verbs": ["create"]},
  {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings", "roles"],
   "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]}]},
{"name": "system:aggregate-to-edit",
 "labels": {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}, "rules": [
  {"apiGroups": [""], "resources": ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy",
   "secrets", "services/proxy"], "verbs": ["get", "list", "watch"]},
  {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]},
  {"apiGroups": [""], "resources": ["pods", "pods/attach", "pods/exec", "pods/portforward",
   "pods/proxy"], "verbs": ["create", "delete", "deletecollection", "patch", "update"]},
  {"apiGroups": [""], "resources": ["pods/eviction"], "verbs": ["create"]},
  {"apiGroups": [""], "resources": ["configmaps", "events", "persistentvolumeclaims",
   "replicationcontrollers", "replicationcontrollers/scale", "secrets", "serviceaccounts",
   "services", "services/proxy"], "verbs": ["create", "delete", "deletecollection", "patch",
   "update"]},
  {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]},
  {"apiGroups": ["apps"], "resources": ["daemonsets", "deployments", "deployments/rollback",
   "deployments/scale", "replicasets", "replicasets/scale", "statefulsets",
   "statefulsets/scale"], "verbs": ["create", "delete", "deletecollection", "patch", "update"]},
  {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"],
   "verbs": ["create", "delete", "deletecollection", "patch", "update"]},
  {"apiGroups": ["batch"], "resources": ["cronjobs", "jobs"],
   "verbs": ["create", "delete", "deletecollection", "patch", "update"]},
  {"apiGroups": ["extensions"], "resources": ["daemonsets", "deployments",
   "deployments/rollback", "deployments/scale", "ingresses", "networkpolicies", "replicasets",
   "replicasets/scale", "replicationcontrollers/scale"],
   "verbs": ["create", "delete", "deletecollection", "patch", "update"]},
  {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"],
   "verbs": ["create", "delete", "deletecollection", "patch", "update"]},
  {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses", "networkpolicies"],
   "verbs": ["create", "delete", "deletecollection", "patch", "update"]},
  {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
   "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update",
   "watch"]}]},
{"name": "system:aggregate-to-view",
 "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}, "rules": [
  {"apiGroups": [""], "resources": ["configmaps", "endpoints", "persistentvolumeclaims",
   "persistentvolumeclaims/status", "pods", "replicationcontrollers",
   "replicationcontrollers/scale", "serviceaccounts", "services", "services/status"],
   "verbs": ["get", "list", "watch"]},
  {"apiGroups": [""], "resources": ["bindings", "events", "limitranges", "namespaces/status",
   "pods/log", "pods/status", "replicationcontrollers/status", "resourcequotas",
   "resourcequotas/status"], "verbs": ["get", "list", "watch"]},
  {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "watch"]},
  {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"],
   "verbs": ["get", "list", "watch"]},
  {"apiGroups": ["apps"], "resources": ["controllerrevisions", "daemonsets", "daemonsets/status",
   "deployments", "deployments/scale", "deployments/status", "replicasets", "replicasets/scale",
   "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"],
   "verbs": ["get", "list", "watch"]},
  {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers",
   "horizontalpodautoscalers/status"], "verbs": ["get", "list", "watch"]},
  {"apiGroups": ["batch"], "resources": ["cronjobs", "cronjobs/status", "jobs", "jobs/status"],
   "verbs": ["get", "list", "watch"]},
  {"apiGroups": ["extensions"], "resources": ["daemonsets", "daemonsets/status", "deployments",
   "deployments/scale", "deployments/status", "ingresses", "ingresses/status",
   "networkpolicies", "replicasets", "replicasets/scale", "replicasets/status",
   "replicationcontrollers/scale"], "verbs": ["get", "list", "watch"]},
  {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets",
   "poddisruptionbudgets/status"], "verbs": ["get", "list", "watch"]},
  {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses", "ingresses/status",
   "networkpolicies"], "verbs": ["get", "list", "watch"]}]},
{"name": "system:auth-delegator", "rules": [
  {"apiGroups": ["authentication.k8s.io"], "resources": ["tokenreviews"], "verbs": ["create"]},
  {"apiGroups": ["authorization.k8s.io"], "resources": ["subjectaccessreviews"],
   "verbs": ["create"]}]},
{"name": "system:basic-user", "rules": [
  {"apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews",
   "selfsubjectrulesreviews"], "verbs": ["create"]},
  {"apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"],
   "verbs": ["create"]}]},
{"name": "system:discovery", "rules": [
  {"nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi",
   "/openapi/*", "/readyz", "/version", "/version/"], "verbs": ["get"]}]},
{"name": "system:public-info-viewer", "rules": [
  {"nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"],
   "verbs": ["get"]}]},
{"name": "system:service-account-issuer-discovery", "rules": [
  {"nonResourceURLs": ["/.well-known/openid-configuration", "/openid/v1/jwks"],
   "verbs": ["get"]}]}
])json";

// Kubernetes' bindings of those roles (cluster-role-bindings.yaml, same
// source), then Ferry's public issuer-discovery binding.
constexpr const char* kClusterRoleBindings = R"json([
{"name": "cluster-admin", "role": "cluster-admin", "groups": ["system:masters"]},
{"name": "system:basic-user", "role": "system:basic-user", "groups": ["system:authenticated"]},
{"name": "system:discovery", "role": "system:discovery", "groups": ["system:authenticated"]},
{"name": "system:public-info-viewer", "role": "system:public-info-viewer",
 "groups": ["system:authenticated", "system:unauthenticated"]},
{"name": "system:service-account-issuer-discovery",
 "role": "system:service-account-issuer-discovery", "groups": ["system:serviceaccounts"]},
{"name": "ferry:service-account-issuer-discovery-public",
 "role": "system:service-account-issuer-discovery", "ferry": true,
 "groups": ["system:authenticated", "system:unauthenticated"]}
])json";

constexpr const char* kAutoUpdate = "rbac.authorization.kubernetes.io/autoupdate";

json Metadata(const std::string& name, const json& labels, bool kubernetes) {
  json l = labels.is_object() ? labels : json::object();
  if (kubernetes) {
    l["kubernetes.io/bootstrapping"] = "rbac-defaults";
  } else {
    l["app.kubernetes.io/managed-by"] = "ferry";
  }
  return {{"name", name}, {"labels", l}, {"annotations", {{kAutoUpdate, "true"}}}};
}

const json& Field(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

// merge(expected, existing): existing values win; null when both are absent.
json MergeMaps(const json& expected, const json& existing) {
  if (!expected.is_object() && !existing.is_object()) return json();
  json out = expected.is_object() ? expected : json::object();
  if (existing.is_object()) {
    for (const auto& [k, v] : existing.items()) out[k] = v;
  }
  return out;
}

// Selectors compared semantically: empty maps and lists equal absent ones.
json NormalSelector(const json& s) {
  json out = json::object();
  for (const char* k : {"matchLabels", "matchExpressions"}) {
    const json& v = Field(s, k);
    if (!v.is_null() && !v.empty()) out[k] = v;
  }
  return out;
}

bool MergeMeta(const json& existing, const json& expected, json* result) {
  bool changed = false;
  for (const char* k : {"annotations", "labels"}) {
    json merged =
        MergeMaps(Field(Field(expected, "metadata"), k), Field(Field(existing, "metadata"), k));
    const json& before = Field(Field(existing, "metadata"), k);
    if (merged != before && !(merged.is_null() && before.is_null())) {
      (*result)["metadata"][k] = merged;
      changed = true;
    }
  }
  return changed;
}

bool OptedOut(const json& existing) {
  const json& v = Field(Field(Field(existing, "metadata"), "annotations"), kAutoUpdate);
  return v.is_string() && v.get<std::string>() == "false";
}

}  // namespace

std::vector<json> BootstrapClusterRoles() {
  std::vector<json> out;
  for (const json& r : json::parse(kClusterRoles)) {
    json role = {{"apiVersion", "rbac.authorization.k8s.io/v1"},
                 {"kind", "ClusterRole"},
                 {"metadata", Metadata(r["name"], r.value("labels", json()), true)}};
    if (r.contains("aggregationRule")) role["aggregationRule"] = r["aggregationRule"];
    if (r.contains("rules")) role["rules"] = r["rules"];
    out.push_back(std::move(role));
  }
  return out;
}

std::vector<json> BootstrapClusterRoleBindings() {
  std::vector<json> out;
  for (const json& b : json::parse(kClusterRoleBindings)) {
    json subjects = json::array();
    for (const json& g : b["groups"]) {
      subjects.push_back(
          {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Group"}, {"name", g}});
    }
    out.push_back({{"apiVersion", "rbac.authorization.k8s.io/v1"},
                   {"kind", "ClusterRoleBinding"},
                   {"metadata", Metadata(b["name"], json(), !b.value("ferry", false))},
                   {"roleRef",
                    {{"apiGroup", "rbac.authorization.k8s.io"},
                     {"kind", "ClusterRole"},
                     {"name", b["role"]}}},
                   {"subjects", subjects}});
  }
  return out;
}

Reconciled ReconcileClusterRole(const json* existing, const json& expected) {
  Reconciled out;
  if (existing == nullptr) return {ReconcileOp::kCreate, expected, false};
  if (OptedOut(*existing)) return {ReconcileOp::kNone, *existing, true};
  out.object = *existing;
  if (MergeMeta(*existing, expected, &out.object)) out.op = ReconcileOp::kUpdate;
  std::vector<PolicyRule> missing;
  std::vector<PolicyRule> have = ParseRules(Field(*existing, "rules"));
  if (!Covers(have, ParseRules(Field(expected, "rules")), &missing)) {
    json rules = Field(*existing, "rules").is_array() ? (*existing)["rules"] : json::array();
    for (const PolicyRule& r : missing) rules.push_back(RuleToJson(r));
    out.object["rules"] = rules;
    out.op = ReconcileOp::kUpdate;
  }
  const json& want = Field(expected, "aggregationRule");
  const json& got = Field(*existing, "aggregationRule");
  if (want.is_null() && !got.is_null()) {
    out.object.erase("aggregationRule");
    out.op = ReconcileOp::kUpdate;
  } else if (!want.is_null()) {
    json selectors =
        Field(got, "clusterRoleSelectors").is_array() ? got["clusterRoleSelectors"] : json::array();
    bool added = false;
    for (const json& s : Field(want, "clusterRoleSelectors")) {
      bool covered = false;
      for (const json& have_s : selectors) {
        covered = covered || NormalSelector(have_s) == NormalSelector(s);
      }
      if (!covered) {
        selectors.push_back(s);
        added = true;
      }
    }
    if (added) {
      out.object["aggregationRule"]["clusterRoleSelectors"] = selectors;
      out.op = ReconcileOp::kUpdate;
    }
  }
  return out;
}

Reconciled ReconcileClusterRoleBinding(const json* existing, const json& expected) {
  if (existing == nullptr) return {ReconcileOp::kCreate, expected, false};
  if (OptedOut(*existing)) return {ReconcileOp::kNone, *existing, true};
  auto ref = [](const json& b) {
    const json& r = Field(b, "roleRef");
    return std::make_tuple(Field(r, "apiGroup"), Field(r, "kind"), Field(r, "name"));
  };
  if (ref(*existing) != ref(expected)) return {ReconcileOp::kRecreate, expected, false};
  Reconciled out;
  out.object = *existing;
  if (MergeMeta(*existing, expected, &out.object)) out.op = ReconcileOp::kUpdate;
  json subjects = Field(*existing, "subjects").is_array() ? (*existing)["subjects"] : json::array();
  bool added = false;
  for (const json& s : Field(expected, "subjects")) {
    bool found = false;
    for (const json& have : subjects) {
      found = found || (Field(have, "kind") == Field(s, "kind") &&
                        Field(have, "apiGroup") == Field(s, "apiGroup") &&
                        Field(have, "name") == Field(s, "name") &&
                        Field(have, "namespace") == Field(s, "namespace"));
    }
    if (!found) {
      subjects.push_back(s);
      added = true;
    }
  }
  if (added) {
    out.object["subjects"] = subjects;
    out.op = ReconcileOp::kUpdate;
  }
  return out;
}

}  // namespace ferry::auth
