// The objects `ferry up` makes sure exist at every start, as a Kubeflow
// cluster would have them: namespaces, the two gateway Services, Knative's
// config-domain, Ferry's ClusterServingRuntime, the ClusterRole that lets
// viewers of an InferenceService read its log subresource and — with the kubeflow
// profile — Kubeflow's default Istio policies and mesh config. Objects a user
// has changed are left alone (created only when missing).
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
};

Status Bootstrap(api::ResourceClient& client, const BootstrapOptions& options);

}  // namespace ferry::main
