#include "ingress/oauth2_proxy.h"

namespace ferry::ingress {
namespace {

constexpr const char* kSignInPage =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign In</title></head>"
    "<body><h1>Sign in with Dex</h1>"
    "<p>This endpoint is behind Kubeflow's login (the <code>istio-ingressgateway-oauth2-proxy</code> "
    "CUSTOM AuthorizationPolicy). Browsers sign in through the dashboard; programs send "
    "<code>Authorization: Bearer $(kubectl create token default-editor -n NAMESPACE)</code>.</p>"
    "</body></html>\n";

class BuiltinOauth2Proxy : public gateway::ExtAuthzClient {
 public:
  StatusOr<gateway::ExtAuthzResponse> Check(const gateway::ExtAuthzProvider& provider,
                                            const gateway::ExtAuthzCheckRequest& request) override {
    gateway::ExtAuthzResponse r;
    const std::string& p = request.path;
    if (p.rfind("/api/", 0) == 0 || p.rfind("/apis/", 0) == 0 || p.rfind("/ml_metadata", 0) == 0) {
      r.status = 401;
      r.headers.push_back({"content-type", "application/json"});
      r.body = "{\"error\": \"Unauthorized: send Authorization: Bearer <token>\"}";
      return r;
    }
    r.status = 403;
    r.headers.push_back({"content-type", "text/html; charset=utf-8"});
    r.body = kSignInPage;
    return r;
  }
};

}  // namespace

std::shared_ptr<gateway::ExtAuthzClient> NewBuiltinOauth2Proxy() {
  return std::make_shared<BuiltinOauth2Proxy>();
}

}  // namespace ferry::ingress
