// Kubeflow's default security objects [KF manifests v1.9.1 .. v1.11.0,
// profile controller], as the JSON objects the API stores: global-deny-all,
// the gateway allow-alls, the oauth2-proxy CUSTOM policy, require-jwt DENY,
// the dex-jwt / m2m-token-issuer RequestAuthentications, the per-profile
// ns-owner-access-istio policy, and the MeshConfig `oauth2-proxy` provider.
//
// Called by the control plane at first start (and by tests). Pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "gateway/snapshot.h"
#include "kubeflow/profile_objects.h"

namespace ferry::gateway {

struct KubeflowOptions {
  std::string dex_issuer = "http://dex.auth.svc.cluster.local:5556/dex";
  std::string dex_jwks;  // inline JWKS; with dex_jwks_uri empty too -> OIDC discovery
  std::string dex_jwks_uri;
  // m2m-token-issuer rules (empty = the default m2m-dex-only overlay: none).
  std::vector<std::string> m2m_issuers;
  std::string m2m_jwks_uri =
      "http://cluster-jwks-proxy.istio-system.svc.cluster.local/openid/v1/jwks";
  std::string m2m_jwks;  // inline alternative to m2m_jwks_uri
  bool cluster_local_gateway = true;
  std::string oauth2_proxy_service = "oauth2-proxy.oauth2-proxy.svc.cluster.local";
  uint32_t oauth2_proxy_port = 80;
};

// The identities Kubeflow's per-profile policies trust (kubeflow/profile_objects.h).
using KubeflowProfileOptions = kubeflow::PolicyOptions;

// istio-system objects (policies + RequestAuthentications).
std::vector<nlohmann::json> KubeflowDefaultObjects(const KubeflowOptions& options = {});

// ns-owner-access-istio for a profile namespace owned by `owner_email`.
nlohmann::json KubeflowProfilePolicy(const std::string& profile_namespace,
                                     const std::string& owner_email,
                                     const KubeflowProfileOptions& options = {});

// KFAM's contributor policy `user-<mangled-email>-clusterrole-<role>`
// (kubeflow/kfam.h).
nlohmann::json KubeflowContributorPolicy(const std::string& profile_namespace,
                                         const std::string& email, const std::string& role,
                                         const KubeflowProfileOptions& options = {});

// MeshConfig with rootNamespace istio-system and the oauth2-proxy provider.
nlohmann::json KubeflowMeshConfig(const KubeflowOptions& options = {});

// Adds all of the above (profiles: namespace -> owner email) to a builder.
Status InstallKubeflowDefaults(PolicySnapshotBuilder& builder, const KubeflowOptions& options,
                               const std::vector<std::pair<std::string, std::string>>& profiles);

}  // namespace ferry::gateway
