// Internal: per-request evaluation state shared by the engine stages
// (engine.cc, authn.cc) and the rule matcher (rule_eval.cc, explain.cc).
// Lives on the request thread's stack for one Evaluate() call.
#pragma once

#include <string>
#include <string_view>

#include "gateway/engine.h"
#include "gateway/policy_model.h"

namespace ferry::gateway {

struct EvalContext {
  const RequestAttributes& req;
  const Workload& workload;
  const WorkloadPolicies* selected;  // the policies and JWT rules of `workload`
  std::string_view path;             // normalized, no query
  std::string_view query;            // "?..." or empty
  std::string_view remote_ip;
  std::string_view principal;  // peer SAN without spiffe://
  const VerifiedJwt* jwt = nullptr;
  const JwtRule* jwt_rule = nullptr;
  const Decision* overlay = nullptr;  // upstream header mutations so far
  mutable std::string scratch;        // joined duplicate headers
  // Explain mode only: the decisive sentence (first line of the explanation).
  std::string* headline = nullptr;
  const EvalOptions* options = nullptr;
  // JWT stage, can_park: the rule whose keys are still being fetched.
  mutable const JwtRule* jwks_pending = nullptr;
};

// Case-insensitive header lookup through the overlay; duplicates joined by ','.
bool FindHeader(const EvalContext& ctx, std::string_view lower_name, std::string_view* value);

// Rule/policy matching. For TCP requests HTTP-only fields make an ALLOW rule
// fail and are ignored in DENY/AUDIT/CUSTOM rules [IST-MODEL checkError].
bool RuleMatches(const Rule& rule, Action action, const EvalContext& ctx);
// Index of the first matching rule or -1.
int MatchingRule(const Policy& policy, const EvalContext& ctx);

// Explanation helpers (explain.cc); only called when asked for.
// One line per rule saying why it does not match; the observed value of each
// rule's first failing field is added to *observed (deduplicated, ", "-joined).
std::string ExplainNoMatch(const Policy& policy, const EvalContext& ctx, std::string* observed);
std::string ObservedValue(const Clause& clause, const EvalContext& ctx);
std::string WorkloadLabel(const Workload& w);

// JWT stage (authn.cc). Returns false when the request was rejected (d filled).
bool RunJwtStage(const PolicySnapshot::Impl& snap, EvalContext& ctx, Decision& d, int64_t now,
                 std::string* explain);

}  // namespace ferry::gateway
