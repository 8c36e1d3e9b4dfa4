#include "controller/profile_reconciler.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "kubeflow/profile_objects.h"

namespace ferry::controller {
namespace {

using nlohmann::json;

std::string Str(const json& obj, const char* section, const char* key) {
  if (!obj.contains(section) || !obj[section].is_object()) return "";
  const json& v = obj[section].value(key, json());
  return v.is_string() ? v.get<std::string>() : "";
}

std::string ApiVersion(const json& obj) { return obj.value("apiVersion", ""); }
std::string Kind(const json& obj) { return obj.value("kind", ""); }
std::string Ns(const json& obj) { return Str(obj, "metadata", "namespace"); }
std::string Name(const json& obj) { return Str(obj, "metadata", "name"); }

std::string Describe(const json& obj, const Status& st) {
  return "cannot write " + Kind(obj) + " " + (Ns(obj).empty() ? "" : Ns(obj) + "/") + Name(obj) +
         ": " + st.message();
}

bool HasFinalizer(const json& obj) {
  const json& fs = obj["metadata"].value("finalizers", json::array());
  for (const json& f : fs) {
    if (f == kubeflow::kProfileFinalizer) return true;
  }
  return false;
}

}  // namespace

ReconcileResult ProfileReconciler::Reconcile(const WorkKey& key) {
  api::ResourceClient& client = *ctx_.client;
  auto got = client.Get("kubeflow.org/v1", "Profile", "", key.name);
  if (!got.ok()) {
    // Gone: its objects went with it (ownerReferences), as in Kubernetes.
    if (got.status().code() == StatusCode::kNotFound) return {};
    return {.requeue_after = std::chrono::seconds(1)};
  }
  json profile = *got;
  if (profile["metadata"].contains("deletionTimestamp")) {
    if (!HasFinalizer(profile)) return {};
    json fs = json::array();
    for (const json& f : profile["metadata"]["finalizers"]) {
      if (f != kubeflow::kProfileFinalizer) fs.push_back(f);
    }
    profile["metadata"]["finalizers"] = fs;
    return {.requeue = !client.Update(profile).ok()};
  }
  std::string err = EnsureNamespace(profile);
  if (!err.empty()) {
    // As Kubeflow: nothing is created in a namespace the Profile does not own.
    SetCondition(profile, kubeflow::kConditionFailed, err);
    return {};
  }
  const std::string ns = key.name;
  auto first = [&err](std::string e) {
    if (err.empty()) err = std::move(e);
  };
  if (ctx_.options->kubeflow_policies) {
    first(EnsurePolicy(profile));
  }
  for (const char* sa : {kubeflow::kDefaultEditor, kubeflow::kDefaultViewer}) {
    first(EnsureOwned(kubeflow::ProfileServiceAccount(profile, sa)));
    first(EnsureBinding(kubeflow::ServiceAccountBinding(profile, sa)));
  }
  first(EnsureBinding(kubeflow::NamespaceAdminBinding(profile)));
  first(EnsureQuota(profile));
  if (ctx_.options->kubeflow_policies) first(EnsureTokenPolicies(profile));
  if (!err.empty()) {
    std::fprintf(stderr, "ferry: profile %s: %s\n", ns.c_str(), err.c_str());
    SetCondition(profile, kubeflow::kConditionFailed, err);
    return {.requeue_after = std::chrono::seconds(5)};
  }
  if (!HasFinalizer(profile)) {
    json updated = profile;
    if (!updated["metadata"].value("finalizers", json()).is_array()) {
      updated["metadata"]["finalizers"] = json::array();
    }
    updated["metadata"]["finalizers"].push_back(kubeflow::kProfileFinalizer);
    auto res = client.Update(updated);
    if (!res.ok()) return {.requeue = true};
    profile = *res;
  }
  SetCondition(profile, kubeflow::kConditionSuccessful, "");
  return {};
}

std::string ProfileReconciler::EnsureNamespace(const json& profile) {
  api::ResourceClient& client = *ctx_.client;
  const std::string owner = Str(profile["spec"], "owner", "name");
  auto found = client.Get("v1", "Namespace", "", Name(profile));
  if (!found.ok()) {
    if (found.status().code() != StatusCode::kNotFound) return found.status().message();
    json ns = kubeflow::ProfileNamespace(profile);
    auto created = client.Create(ns);
    return created.ok() ? "" : Describe(ns, created.status());
  }
  json ns = *found;
  if (ns["metadata"].value("annotations", json::object()).value("owner", "") != owner) {
    return "namespace already exist, but not owned by profile creator " + owner;
  }
  // Labels are added when missing, never overwritten (setNamespaceLabels).
  json& labels = ns["metadata"]["labels"];
  if (!labels.is_object()) labels = json::object();
  bool changed = false;
  for (const auto& [k, v] : kubeflow::NamespaceLabels()) {
    if (!labels.contains(k)) {
      labels[k] = v;
      changed = true;
    }
  }
  if (!changed) return "";
  auto updated = client.Update(ns);
  return updated.ok() ? "" : Describe(ns, updated.status());
}

std::string ProfileReconciler::EnsureOwned(const json& desired) {
  api::ResourceClient& client = *ctx_.client;
  auto found = client.Get(ApiVersion(desired), Kind(desired), Ns(desired), Name(desired));
  if (found.ok()) return "";
  auto created = client.Create(desired);
  if (created.ok() || created.status().code() == StatusCode::kAlreadyExists) return "";
  return Describe(desired, created.status());
}

// updateRoleBinding: roleRef and subjects are kept as the controller wants
// them (roleRef is immutable, so a changed one means a new binding).
std::string ProfileReconciler::EnsureBinding(const json& desired) {
  api::ResourceClient& client = *ctx_.client;
  auto found = client.Get(ApiVersion(desired), Kind(desired), Ns(desired), Name(desired));
  if (!found.ok()) return EnsureOwned(desired);
  json rb = *found;
  if (rb.value("roleRef", json()) != desired["roleRef"]) {
    auto deleted = client.Delete(ApiVersion(desired), Kind(desired), Ns(desired), Name(desired));
    if (!deleted.ok()) return Describe(desired, deleted.status());
    return EnsureOwned(desired);
  }
  if (rb.value("subjects", json()) == desired["subjects"]) return "";
  rb["subjects"] = desired["subjects"];
  auto updated = client.Update(rb);
  return updated.ok() ? "" : Describe(rb, updated.status());
}

std::string ProfileReconciler::EnsureQuota(const json& profile) {
  api::ResourceClient& client = *ctx_.client;
  json desired = kubeflow::ResourceQuota(profile);
  auto found = client.Get("v1", "ResourceQuota", Name(profile), kubeflow::kQuotaName);
  if (desired.is_null()) {
    if (!found.ok()) return "";
    auto deleted = client.Delete("v1", "ResourceQuota", Name(profile), kubeflow::kQuotaName);
    return deleted.ok() ? "" : Describe(*found, deleted.status());
  }
  if (!found.ok()) return EnsureOwned(desired);
  if (found->value("spec", json()) == desired["spec"]) return "";
  json quota = *found;
  quota["spec"] = desired["spec"];
  auto updated = client.Update(quota);
  return updated.ok() ? "" : Describe(quota, updated.status());
}

// updateIstioAuthorizationPolicy: the spec is the controller's; an edit is reverted.
std::string ProfileReconciler::EnsurePolicy(const json& profile) {
  api::ResourceClient& client = *ctx_.client;
  json desired = kubeflow::OwnerAccessPolicy(Name(profile), Str(profile["spec"], "owner", "name"));
  desired["metadata"]["ownerReferences"] = json::array({kubeflow::ControllerReference(profile)});
  auto found = client.Get(ApiVersion(desired), Kind(desired), Ns(desired), Name(desired));
  if (!found.ok()) return EnsureOwned(desired);
  if (found->value("spec", json()) == desired["spec"]) return "";
  json policy = *found;
  policy["spec"] = desired["spec"];
  auto updated = client.Update(policy);
  return updated.ok() ? "" : Describe(policy, updated.status());
}

// Lets Ferry's ServiceAccount tokens through the gateway: a JWT rule for the
// issuer, and an ALLOW for the namespace's own ServiceAccounts.
std::string ProfileReconciler::EnsureTokenPolicies(const json& profile) {
  const ControllerOptions& options = *ctx_.options;
  const std::string ns = Name(profile);
  json owner = json::array({kubeflow::ControllerReference(profile)});
  json rule = {{"issuer", options.token_issuer},
               {"jwks", options.token_jwks},
               {"forwardOriginalToken", true}};
  std::string err = EnsureOwned(
      {{"apiVersion", "security.istio.io/v1"},
       {"kind", "RequestAuthentication"},
       {"metadata", {{"name", "ferry-serviceaccount-jwt"}, {"namespace", ns}, {"ownerReferences", owner}}},
       {"spec", {{"jwtRules", json::array({rule})}}}});
  if (!err.empty()) return err;
  json principals = json::array({options.token_issuer + "/system:serviceaccount:" + ns + ":*"});
  json from = json::array({{{"source", {{"requestPrincipals", principals}}}}});
  return EnsureOwned({{"apiVersion", "security.istio.io/v1"},
                      {"kind", "AuthorizationPolicy"},
                      {"metadata",
                       {{"name", "ferry-allow-namespace-serviceaccounts"},
                        {"namespace", ns},
                        {"ownerReferences", owner}}},
                      {"spec", {{"action", "ALLOW"}, {"rules", json::array({{{"from", from}}})}}}});
}

// One condition, the outcome of the last reconcile (Kubeflow's
// ProfileSucceed / ProfileFailed), so `kubectl wait
// --for=condition=Successful profile/NAME` works.
bool ProfileReconciler::SetCondition(const json& profile, const std::string& type,
                                     const std::string& message) {
  json condition = {{"type", type}, {"status", "True"}};
  if (!message.empty()) condition["message"] = message;
  json conditions = json::array({condition});
  if (profile.value("status", json::object()).value("conditions", json()) == conditions) {
    return true;
  }
  json updated = profile;
  updated["status"] = {{"conditions", conditions}};
  updated["metadata"].erase("resourceVersion");
  return ctx_.WriteStatus(updated).ok();
}

}  // namespace ferry::controller
