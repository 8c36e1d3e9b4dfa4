// The built-in `oauth2-proxy` ext-authz provider: what Kubeflow's
// oauth2-proxy answers a request that has no session, in-process (no network
// call): 401 JSON for API routes (/api/, /apis/, /ml_metadata), otherwise 403
// with a sign-in page, as oauth2-proxy does with skip_provider_button=false.
// Requests carrying a Bearer token never reach it (Kubeflow's CUSTOM policy
// only matches requests without an Authorization header).
#pragma once

#include <memory>

#include "gateway/ext_authz.h"

namespace ferry::ingress {

std::shared_ptr<gateway::ExtAuthzClient> NewBuiltinOauth2Proxy();

}  // namespace ferry::ingress
