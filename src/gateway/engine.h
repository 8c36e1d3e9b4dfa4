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
//
// Parking (EvalOptions::can_park, what the listeners use): the engine never
// waits on a network peer. When a CUSTOM rule matches a provider reached over
// HTTP, or a token must be verified with keys whose first fetch has not
// finished, the evaluation stops with Decision::pending saying what it waits
// for. The caller does that work off the request thread and evaluates again
// with the result (EvalOptions::ext_authz_result / jwks_wait_over); the
// evaluation is deterministic, so it reaches the same point and continues
// from there. Without can_park, Evaluate() does the call itself, blocking.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gateway/ext_authz.h"
#include "gateway/jwt.h"
#include "gateway/request.h"
#include "gateway/snapshot.h"

namespace ferry::gateway {

// What a parked evaluation waits for (Decision::pending).
struct PendingWork {
  enum class Kind : uint8_t { kNone, kExtAuthz, kJwks };
  Kind kind = Kind::kNone;
  const ExtAuthzProvider* provider = nullptr;  // kExtAuthz; owned by the snapshot
  ExtAuthzCheckRequest check;                  // kExtAuthz: the request to send
  std::string issuer;                          // kJwks: the key set being fetched
  std::string jwks_uri;                        // kJwks ("" = OIDC discovery of issuer)
  std::chrono::milliseconds timeout{0};        // kJwks: the RequestAuthentication timeout
};

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
  // Set (and allowed false) when the evaluation stopped to wait (can_park).
  PendingWork pending;
  bool parked() const { return pending.kind != PendingWork::Kind::kNone; }

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
  // Never wait on a network peer: report it in Decision::pending instead.
  bool can_park = false;
  // Evaluating again after parking: the CUSTOM provider's answer (or the
  // failure of the call), used instead of calling it.
  const StatusOr<ExtAuthzResponse>* ext_authz_result = nullptr;
  // Evaluating again after a JWKS wait ran out: keys still not fetched fail
  // closed (as an empty key set) instead of parking again.
  bool jwks_wait_over = false;
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
