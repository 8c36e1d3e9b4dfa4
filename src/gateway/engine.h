// The gateway security decision: Evaluate() runs Istio's HTTP filter order
// for one workload — CUSTOM (ext-authz, only when a CUSTOM rule matches) ->
// RequestAuthentication (JWT) -> AUDIT -> DENY -> ALLOW (default allow when
// no ALLOW policy applies) — and returns what to send or forward.
//
// Called by the HTTP layer on request threads, once for the gateway workload
// and once per predictor workload it routes to. Thread-safe; the snapshot is
// immutable (apart from its internally locked JWT and selection caches). The
// policies and JWT rules of a workload are selected once per snapshot
// (PolicySnapshot::Select; callers may keep the result in
// EvalOptions::selected). Allowed requests with no JWT, no ext-authz and no
// explanation allocate nothing; with a token already verified (cached by
// token with the rules it passed, plus a per-thread memo that spares the
// token scan and the shared lookup), only the upstream_set entry holding an
// outputClaimToHeaders value is allocated.
//
// Applying a Decision (HTTP layer): if !allowed, send `status` with `body`,
// `content_type` (when non-empty) and `downstream_headers` — or just close the
// connection when close_connection. If allowed, forward the request with the
// normalized path (NormalizePath in path.h; query unchanged), after removing
// `upstream_remove` and then setting `upstream_set`, and add
// `downstream_headers` to the eventual response. For a predictor behind the
// gateway, evaluate again with the predictor's Workload, the mutated headers
// and source_principal = kIngressGatewayPrincipal.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gateway/ext_authz.h"
#include "gateway/jwt.h"
#include "gateway/request.h"
#include "gateway/snapshot.h"

namespace ferry::gateway {

struct Decision {
  enum class Stage : uint8_t { kNone, kBadRequest, kCustom, kJwt, kDeny, kAllow };

  bool allowed = true;
  bool close_connection = false;  // TCP deny: close without an HTTP response
  int status = 200;               // status to send when !allowed
  std::string body;               // e.g. "RBAC: access denied"
  std::string content_type;       // e.g. "text/plain"
  Stage denied_at = Stage::kNone;

  // Mutations for the forwarded request: remove these (lower-case) names,
  // then set/override these headers.
  std::vector<std::string> upstream_remove;
  std::vector<OwnedHeader> upstream_set;
  // Headers for the client response (on deny: the denial; on allow: added).
  std::vector<OwnedHeader> downstream_headers;

  std::shared_ptr<const VerifiedJwt> jwt;   // request principal and claims, if any
  std::string matched_policy;               // access-log detail, e.g. "ns[foo]-policy[x]-rule[0]"
  std::vector<std::string> audit_policies;  // AUDIT policies that matched ("ns/name")
  std::string dry_run;  // shadow (dry-run) outcome, if any dry-run policy applied
  bool ext_authz_called = false;
  std::string explanation;  // only with EvalOptions::explain

  void SetUpstreamHeader(std::string_view name, std::string_view value);
  void RemoveUpstreamHeader(std::string_view name);
  // Back to a fresh allow decision, keeping every buffer (EvaluateInto).
  void Reset();

  // Upstream header entries kept with their string buffers across Reset(),
  // so a reused Decision sets the same headers again without allocating.
  std::vector<OwnedHeader> recycled_upstream;
};

struct EvalOptions {
  bool explain = false;
  int64_t now_unix = 0;  // 0 = system clock (JWT exp/nbf)
  // Ext-authz clients; null = a process-wide registry using the HTTP client.
  const ExtAuthzRegistry* ext_authz = nullptr;
  // PolicySnapshot::Select(workload) of the snapshot being evaluated, for
  // callers that keep it per workload; null = looked up in the snapshot.
  const WorkloadPolicies* selected = nullptr;
};

Decision Evaluate(const PolicySnapshot& snapshot, const Workload& workload,
                  const RequestAttributes& request, const EvalOptions& options = {});
// Evaluate() into `*out` (Reset() first), reusing its buffers: the listeners
// keep one Decision per thread and workload kind, so the steady state of an
// allowed request allocates nothing.
void EvaluateInto(const PolicySnapshot& snapshot, const Workload& workload,
                  const RequestAttributes& request, const EvalOptions& options, Decision* out);

// "gateway `istio-ingressgateway` in `istio-system`", "predictor `m` in `ns`":
// how explanations name a workload.
std::string DescribeWorkload(const Workload& workload);

inline constexpr std::string_view kRbacDeniedBody = "RBAC: access denied";

}  // namespace ferry::gateway
