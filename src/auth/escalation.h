// Privilege-escalation prevention, as Kubernetes' RBAC storage does it: a
// caller may only write a Role/ClusterRole granting permissions the caller
// already holds, and may only bind a role whose permissions it holds — unless
// it has the `escalate` (roles) or `bind` (bindings) verb. Covers is
// component-helpers' validation.Covers (rules broken down to one verb, group,
// resource and name each); EscalationMessage is ConfirmNoEscalation's text.
//
// Who calls it: the API server's write path for rbac.authorization.k8s.io
// objects. Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "auth/policy_rule.h"
#include "auth/user_info.h"

namespace ferry::auth {

// `rule` as rules of at most one verb, group, resource and resource name
// (non-resource URLs: one URL and one verb).
std::vector<PolicyRule> BreakdownRule(const PolicyRule& rule);
// True when `owner` covers every permission in `servant`; otherwise fills
// `missing` (if given) with the broken-down rules not covered.
bool Covers(const std::vector<PolicyRule>& owner, const std::vector<PolicyRule>& servant,
            std::vector<PolicyRule>* missing = nullptr);
// Merges rules that differ only by verb and have one group, one resource and
// nothing else (Kubernetes' CompactRules).
std::vector<PolicyRule> CompactRules(const std::vector<PolicyRule>& rules);
// `user "U" (groups=["a" "b"]) is attempting to grant RBAC permissions not
// currently held:\n{...}\n{...}` (missing rules compacted, sorted, unique).
std::string EscalationMessage(const UserInfo& user, const std::vector<PolicyRule>& missing);
// The rules that hold every permission (cluster-admin's): needed to write an
// aggregationRule without `escalate`.
const std::vector<PolicyRule>& FullAuthority();

}  // namespace ferry::auth
