// Scripted network peers of the gateway engine for its tests: a JWKS fetcher that serves one key
// set (and the OIDC discovery document that points to it), an ext-authz client with a fixed
// answer, and one that behaves like Kubeflow's oauth2-proxy. Single-threaded; test-only.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "gateway/ext_authz.h"
#include "gateway/jwks.h"

namespace ferry::gateway::testing {

class FakeFetcher : public JwksFetcher {
 public:
  StatusOr<std::string> Fetch(const std::string& url, std::chrono::milliseconds) override {
    if (url.find("/.well-known/openid-configuration") != std::string::npos) {
      return nlohmann::json{{"jwks_uri", url.substr(0, url.find("/.well-known")) + "/keys"}}.dump();
    }
    return jwks;
  }
  std::string jwks;
};

// Scripted ext-authz: fixed response, or failure.
class FakeAuthz : public ExtAuthzClient {
 public:
  StatusOr<ExtAuthzResponse> Check(const ExtAuthzProvider&,
                                   const ExtAuthzCheckRequest& r) override {
    ++calls;
    last = r;
    if (down) {
      return UnavailableError("connection refused");
    }
    return response;
  }
  bool down = false;
  ExtAuthzResponse response;
  int calls = 0;
  ExtAuthzCheckRequest last;
};

// Behaves like Kubeflow's oauth2-proxy for the flows in §4.2.
class FakeOauth2Proxy : public ExtAuthzClient {
 public:
  StatusOr<ExtAuthzResponse> Check(const ExtAuthzProvider&,
                                   const ExtAuthzCheckRequest& r) override {
    ++calls;
    last = r;
    std::string cookie, accept;
    for (const auto& h : r.headers) {
      if (h.name == "cookie") {
        cookie = h.value;
      }
      if (h.name == "accept") {
        accept = h.value;
      }
    }
    if (cookie.find("oauth2_proxy_kubeflow=valid") != std::string::npos) {
      return ExtAuthzResponse{200,
                              {{"authorization", "Bearer " + dex_token},
                               {"x-auth-request-email", "alice@example.com"},
                               {"content-type", "text/plain"}},
                              ""};
    }
    if (r.path.rfind("/api/", 0) == 0 || r.path.rfind("/apis/", 0) == 0 ||
        accept == "application/json") {
      return ExtAuthzResponse{
          401, {{"content-type", "application/json"}}, R"({"error":"unauthorized"})"};
    }
    return ExtAuthzResponse{403,
                            {{"content-type", "text/html; charset=utf-8"},
                             {"set-cookie", "_oauth2_proxy_kubeflow_csrf=x; Path=/"},
                             {"x-internal", "not-for-clients"}},
                            "<html>Sign in with Dex</html>"};
  }
  std::string dex_token;
  int calls = 0;
  ExtAuthzCheckRequest last;
};

}  // namespace ferry::gateway::testing
