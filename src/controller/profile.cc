// Profile reconcile (kubeflow.org/v1), as Kubeflow's profile controller does
// it: the namespace, the default-editor/default-viewer ServiceAccounts and the
// ns-owner-access-istio policy — plus what Kubeflow users keep asking for so
// that a token from `kubectl create token default-editor -n NS` just works: a
// RequestAuthentication for Ferry's ServiceAccount-token issuer and an ALLOW
// policy for that namespace's ServiceAccounts at its predictors.
#include <cstdio>

#include "controller/controller_impl.h"
#include "gateway/kubeflow_defaults.h"

namespace ferry::controller {
namespace {

using nlohmann::json;

void EnsureObject(api::ResourceClient& client, const json& obj) {
  auto res = client.Create(obj);
  if (!res.ok() && res.status().code() != StatusCode::kAlreadyExists) {
    std::fprintf(stderr, "ferry: profile: cannot create %s %s: %s\n",
                 obj.value("kind", "").c_str(), obj["metadata"].value("name", "").c_str(),
                 res.status().message().c_str());
  }
}

}  // namespace

void Controller::Impl::ReconcileProfile(const std::string& name) {
  auto profile = client_->Get("kubeflow.org/v1", "Profile", "", name);
  if (!profile.ok()) return;  // deletion keeps the namespace, as `kubectl delete profile` would
  std::string owner;
  if (profile->contains("spec") && (*profile)["spec"].contains("owner")) {
    owner = (*profile)["spec"]["owner"].value("name", "");
  }
  const std::string& ns = name;
  EnsureObject(*client_, {{"apiVersion", "v1"},
                          {"kind", "Namespace"},
                          {"metadata",
                           {{"name", ns},
                            {"labels", {{"app.kubernetes.io/part-of", "kubeflow-profile"},
                                        {"istio-injection", "enabled"}}},
                            {"annotations", {{"owner", owner}}}}}});
  for (const char* sa : {"default-editor", "default-viewer"}) {
    EnsureObject(*client_, {{"apiVersion", "v1"},
                            {"kind", "ServiceAccount"},
                            {"metadata", {{"name", sa}, {"namespace", ns}}}});
  }
  if (!options_.kubeflow_policies) return;
  EnsureObject(*client_, gateway::KubeflowProfilePolicy(ns, owner));
  EnsureObject(*client_,
               {{"apiVersion", "security.istio.io/v1"},
                {"kind", "RequestAuthentication"},
                {"metadata", {{"name", "ferry-serviceaccount-jwt"}, {"namespace", ns}}},
                {"spec",
                 {{"jwtRules",
                   json::array({{{"issuer", options_.token_issuer},
                                 {"jwks", options_.token_jwks},
                                 {"forwardOriginalToken", true}}})}}}});
  EnsureObject(
      *client_,
      {{"apiVersion", "security.istio.io/v1"},
       {"kind", "AuthorizationPolicy"},
       {"metadata", {{"name", "ferry-allow-namespace-serviceaccounts"}, {"namespace", ns}}},
       {"spec",
        {{"action", "ALLOW"},
         {"rules",
          json::array({{{"from",
                         json::array({{{"source",
                                        {{"requestPrincipals",
                                          json::array({options_.token_issuer +
                                                       "/system:serviceaccount:" + ns + ":*"})}}}}})}}})}}}});
}

}  // namespace ferry::controller
