#include "gateway/kubeflow_defaults.h"

#include "gateway/request.h"
#include "kubeflow/kfam.h"

namespace ferry::gateway {

using nlohmann::json;

Workload Workload::IngressGateway() {
  Workload w;
  w.name_space = "istio-system";
  w.labels = {{"app", "istio-ingressgateway"}, {"istio", "ingressgateway"}};
  w.name = "istio-ingressgateway";
  return w;
}

namespace {

json Object(const char* kind, const std::string& name, const std::string& ns, json spec,
            const char* version = "security.istio.io/v1beta1") {
  return json{{"apiVersion", version},
              {"kind", kind},
              {"metadata", {{"name", name}, {"namespace", ns}}},
              {"spec", std::move(spec)}};
}

// Built where used, not before main in every role of the binary.
json GatewaySelector() {
  return {{"matchLabels", {{"app", "istio-ingressgateway"}, {"istio", "ingressgateway"}}}};
}

json JwtRuleJson(const std::string& issuer, const std::string& jwks, const std::string& jwks_uri) {
  json r = {{"issuer", issuer},
            {"forwardOriginalToken", true},
            {"fromHeaders", json::array({{{"name", "Authorization"}, {"prefix", "Bearer "}}})}};
  if (!jwks.empty()) {
    r["jwks"] = jwks;
  } else if (!jwks_uri.empty()) {
    r["jwksUri"] = jwks_uri;
  }
  return r;
}

}  // namespace

std::vector<json> KubeflowDefaultObjects(const KubeflowOptions& o) {
  const std::string ns = "istio-system";
  std::vector<json> out;
  out.push_back(Object("AuthorizationPolicy", "global-deny-all", ns, json::object()));
  out.push_back(Object("AuthorizationPolicy", "istio-ingressgateway", ns,
                       {{"action", "ALLOW"},
                        {"selector", GatewaySelector()},
                        {"rules", json::array({json::object()})}}));
  if (o.cluster_local_gateway) {
    out.push_back(
        Object("AuthorizationPolicy", "cluster-local-gateway", ns,
               {{"action", "ALLOW"},
                {"selector",
                 {{"matchLabels",
                   {{"app", "cluster-local-gateway"}, {"istio", "cluster-local-gateway"}}}}},
                {"rules", json::array({json::object()})}}));
  }
  json not_paths = json::array({"/dex/*", "/dex/**", "/oauth2/*"});
  out.push_back(Object(
      "AuthorizationPolicy", "istio-ingressgateway-oauth2-proxy", ns,
      {{"action", "CUSTOM"},
       {"provider", {{"name", "oauth2-proxy"}}},
       {"selector", {{"matchLabels", {{"app", "istio-ingressgateway"}}}}},
       {"rules", json::array({{{"to", json::array({{{"operation", {{"notPaths", not_paths}}}}})},
                               {"when", json::array({{{"key", "request.headers[authorization]"},
                                                      {"notValues", json::array({"*"})}}})}}})}}));
  out.push_back(Object(
      "AuthorizationPolicy", "istio-ingressgateway-require-jwt", ns,
      {{"action", "DENY"},
       {"selector", {{"matchLabels", {{"app", "istio-ingressgateway"}}}}},
       {"rules",
        json::array({{{"from", json::array({{{"source", {{"notRequestPrincipals", {"*"}}}}}})},
                      {"to", json::array({{{"operation", {{"notPaths", not_paths}}}}})}}})}}));
  json claims = json::array({{{"header", "kubeflow-userid"}, {"claim", "email"}},
                             {{"header", "kubeflow-groups"}, {"claim", "groups"}}});
  json dex = JwtRuleJson(o.dex_issuer, o.dex_jwks, o.dex_jwks_uri);
  dex["outputClaimToHeaders"] = claims;
  out.push_back(Object("RequestAuthentication", "dex-jwt", ns,
                       {{"selector", {{"matchLabels", {{"app", "istio-ingressgateway"}}}}},
                        {"jwtRules", json::array({dex})}}));
  if (!o.m2m_issuers.empty()) {
    json rules = json::array();
    for (const auto& iss : o.m2m_issuers) {
      json r = JwtRuleJson(iss, o.m2m_jwks, o.m2m_jwks.empty() ? o.m2m_jwks_uri : "");
      r["outputClaimToHeaders"] =
          json::array({{{"header", "kubeflow-userid"}, {"claim", "sub"}},
                       {{"header", "kubeflow-groups"}, {"claim", "groups"}}});
      rules.push_back(std::move(r));
    }
    out.push_back(Object("RequestAuthentication", "m2m-token-issuer", ns,
                         {{"selector", {{"matchLabels", {{"app", "istio-ingressgateway"}}}}},
                          {"jwtRules", std::move(rules)}}));
  }
  return out;
}

json KubeflowProfilePolicy(const std::string& profile_ns, const std::string& owner,
                           const KubeflowProfileOptions& o) {
  return kubeflow::OwnerAccessPolicy(profile_ns, owner, o);
}

json KubeflowContributorPolicy(const std::string& profile_ns, const std::string& email,
                               const std::string& role, const KubeflowProfileOptions& o) {
  kubeflow::Binding binding;
  binding.user = email;
  binding.ns = profile_ns;
  binding.role = role;
  return kubeflow::ContributorPolicy(binding, o);
}

json KubeflowMeshConfig(const KubeflowOptions& o) {
  return {{"rootNamespace", "istio-system"},
          {"trustDomain", "cluster.local"},
          {"extensionProviders",
           json::array({{{"name", "oauth2-proxy"},
                         {"envoyExtAuthzHttp",
                          {{"service", o.oauth2_proxy_service},
                           {"port", o.oauth2_proxy_port},
                           {"includeRequestHeadersInCheck", {"authorization", "cookie"}},
                           {"headersToUpstreamOnAllow",
                            {"authorization", "path", "x-auth-request-email",
                             "x-auth-request-groups", "x-auth-request-user"}},
                           {"headersToDownstreamOnDeny", {"content-type", "set-cookie"}}}}}})}};
}

Status InstallKubeflowDefaults(PolicySnapshotBuilder& builder, const KubeflowOptions& options,
                               const std::vector<std::pair<std::string, std::string>>& profiles) {
  RETURN_IF_ERROR(builder.SetMeshConfig(KubeflowMeshConfig(options)));
  for (const auto& obj : KubeflowDefaultObjects(options)) {
    RETURN_IF_ERROR(builder.Add(obj));
  }
  for (const auto& [ns, owner] : profiles) {
    RETURN_IF_ERROR(builder.Add(KubeflowProfilePolicy(ns, owner)));
  }
  return OkStatus();
}

}  // namespace ferry::gateway
