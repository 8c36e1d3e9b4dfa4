#include "controller/profile_reconciler.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "gateway/kubeflow_defaults.h"

namespace ferry::controller {
namespace {

using nlohmann::json;

void EnsureObject(api::ResourceClient& client, const json& obj) {
  auto res = client.Create(obj);
  if (!res.ok() && res.status().code() != StatusCode::kAlreadyExists) {
    std::fprintf(stderr, "ferry: profile: cannot create %s %s: %s\n", obj.value("kind", "").c_str(),
                 obj["metadata"].value("name", "").c_str(), res.status().message().c_str());
  }
}

json ProfileNamespace(const std::string& ns, const std::string& owner) {
  return {{"apiVersion", "v1"},
          {"kind", "Namespace"},
          {"metadata",
           {{"name", ns},
            {"labels",
             {{"app.kubernetes.io/part-of", "kubeflow-profile"}, {"istio-injection", "enabled"}}},
            {"annotations", {{"owner", owner}}}}}};
}

// Lets Ferry's ServiceAccount tokens through the gateway: a JWT rule for the
// issuer, and an ALLOW for the namespace's own ServiceAccounts.
void EnsureTokenPolicies(api::ResourceClient& client, const std::string& ns,
                         const ControllerOptions& options) {
  json rule = {{"issuer", options.token_issuer},
               {"jwks", options.token_jwks},
               {"forwardOriginalToken", true}};
  EnsureObject(client, {{"apiVersion", "security.istio.io/v1"},
                        {"kind", "RequestAuthentication"},
                        {"metadata", {{"name", "ferry-serviceaccount-jwt"}, {"namespace", ns}}},
                        {"spec", {{"jwtRules", json::array({rule})}}}});
  json principals = json::array({options.token_issuer + "/system:serviceaccount:" + ns + ":*"});
  json from = json::array({{{"source", {{"requestPrincipals", principals}}}}});
  EnsureObject(
      client, {{"apiVersion", "security.istio.io/v1"},
               {"kind", "AuthorizationPolicy"},
               {"metadata", {{"name", "ferry-allow-namespace-serviceaccounts"}, {"namespace", ns}}},
               {"spec", {{"action", "ALLOW"}, {"rules", json::array({{{"from", from}}})}}}});
}

}  // namespace

ReconcileResult ProfileReconciler::Reconcile(const WorkKey& key) {
  api::ResourceClient& client = *ctx_.client;
  auto profile = client.Get("kubeflow.org/v1", "Profile", "", key.name);
  if (!profile.ok()) return {};  // deletion keeps the namespace, as `kubectl delete profile` would
  std::string owner;
  if (profile->contains("spec") && (*profile)["spec"].contains("owner")) {
    owner = (*profile)["spec"]["owner"].value("name", "");
  }
  const std::string& ns = key.name;
  EnsureObject(client, ProfileNamespace(ns, owner));
  for (const char* sa : {"default-editor", "default-viewer"}) {
    EnsureObject(client, {{"apiVersion", "v1"},
                          {"kind", "ServiceAccount"},
                          {"metadata", {{"name", sa}, {"namespace", ns}}}});
  }
  if (!ctx_.options->kubeflow_policies) return {};
  EnsureObject(client, gateway::KubeflowProfilePolicy(ns, owner));
  EnsureTokenPolicies(client, ns, *ctx_.options);
  return {};
}

}  // namespace ferry::controller
