// Authorization check ("why was I denied?"): runs one hypothetical request
// through exactly the checks the gateway listeners run — same Host routing,
// for an external URL the ingress-gateway workload and then the predictor
// workload with the gateway's identity as the peer, for a cluster-local URL
// the predictor only — with the engine's explanations switched on, and says
// what the client would get and why.
//
// Who calls it: `POST /ferry/v1/authz/check` on the HTTPS API listener
// (AuthzCheckHandler, which `ferry up` puts in front of the API server; the
// dashboard and `ferry authz check` use it). It runs the listeners' own
// GatewayPipeline in explain mode, so the check can never disagree with
// them. Threads: any; the snapshots are read like a request reads them.
// CUSTOM policies really call their ext-authz provider (as the listener
// would): such a check is parked like a request and answered later.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "ingress/ingress_handler.h"
#include "http/http_types.h"

namespace ferry::ingress {

struct AuthzCheckRequest {
  std::string url;  // http://{isvc}.{ns}.{domain}/... or http://{isvc}.{ns}.svc.cluster.local/...
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;  // as the client sends them
  std::string token;    // optional: sent as "Authorization: Bearer <token>"
  std::string gateway;  // "external", "internal" or "" (from the URL's host)
  std::string source_ip = "127.0.0.1";
};

// One workload's verdict.
struct WorkloadVerdict {
  std::string workload;  // "gateway `istio-ingressgateway` in `istio-system`"
  bool allowed = false;
  int status = 0;
  std::string matched_policy;            // Envoy's access-log detail
  std::vector<std::string> explanation;  // the engine's lines
};

struct AuthzCheckResult {
  bool allowed = false;  // the request would reach the model
  int status = 0;        // what the client gets (200 = forwarded to the model)
  std::string body;
  std::vector<std::pair<std::string, std::string>> response_headers;
  std::string gateway;                   // "external" or "internal"
  std::vector<std::string> explanation;  // summary first
  std::vector<WorkloadVerdict> workloads;
};

// Parses {"url", "method", "headers": {..}, "token", "gateway"}.
StatusOr<AuthzCheckRequest> ParseAuthzCheckRequest(std::string_view json);
std::string AuthzCheckResultJson(const AuthzCheckResult& result);

// Runs `request` through the listener its URL names and answers the JSON
// result through `responder` (maybe later, from the listener's thread). The
// listener's port is used as destination.port (as for a real request).
void CheckAuthz(const AuthzCheckRequest& request, const IngressHandler& external,
                const IngressHandler& internal, http::Responder responder);

// The result for a finished evaluation (`steps` recorded with explanations).
AuthzCheckResult ExplainOutcome(const AuthzCheckRequest& request, bool is_internal, bool has_policy,
                                const GatewayOutcome& outcome,
                                const std::vector<GatewayStep>& steps);

// Serves POST /ferry/v1/authz/check — for callers `authorize` lets through
// (the API server's RBAC: the non-resource URL /ferry/v1/authz/check, verb
// post; the admin, and dashboard sessions through FrontHandler, have it);
// every other request goes to `next` (the API).
class AuthzCheckHandler : public http::HttpHandler {
 public:
  // The response refusing `request` (401/403), or nullopt when it may proceed.
  using RequestAuthorizer =
      std::function<std::optional<http::HttpResponse>(http::HttpRequest& request)>;

  AuthzCheckHandler(http::HttpHandler* next, const IngressHandler* external,
                    const IngressHandler* internal, RequestAuthorizer authorize)
      : next_(next),
        external_(external),
        internal_(internal),
        authorize_(std::move(authorize)) {}

  void Handle(http::HttpRequest& request, http::Responder responder) override;

 private:
  http::HttpHandler* next_;
  const IngressHandler* external_;
  const IngressHandler* internal_;
  RequestAuthorizer authorize_;
};

inline constexpr std::string_view kAuthzCheckPath = "/ferry/v1/authz/check";

}  // namespace ferry::ingress
