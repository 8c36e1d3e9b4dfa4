// The objects `ferry up` makes sure exist at every start, as a Kubeflow
// cluster would have them: namespaces, the two gateway Services, Knative's
// config-domain, Ferry's ClusterServingRuntime, the ClusterRole that lets
// viewers of an InferenceService read its log subresource, Kubeflow's pinned
// ClusterRoles (kubeflow-admin/edit/view and the roles aggregated into them,
// deploy/kubeflow-1.9.1) and — with the kubeflow profile — Kubeflow's default
// Istio policies and mesh config — and the Node (node_object.h), rewritten at
// every start. Objects a user has changed are left alone
// (created only when missing). What a Kubeflow install puts in place with
// `kubectl apply` carries kubectl's last-applied-configuration annotation,
// so applying the same objects again (the tutorial's ap.yaml) is a normal
// three-way apply without kubectl's missing-annotation warning.
#pragma once

#include <string>

#include "api/resource_client.h"
#include "common/status.h"

namespace ferry::main {

struct BootstrapOptions {
  std::string profile = "kubeflow";  // kubeflow | none
  std::string domain;                // empty = keep config-domain as it is (example.com at first)
  std::string issuer;                // the API's ServiceAccount token issuer
  std::string jwks_json;             // its JWKS, inlined into m2m-token-issuer
  std::string node_address = "127.0.0.1";  // the Node's InternalIP
};

Status Bootstrap(api::ResourceClient& client, const BootstrapOptions& options);

}  // namespace ferry::main
