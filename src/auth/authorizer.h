// The API server's authorizer, as kube-apiserver chains it: members of
// system:masters are allowed everything without asking RBAC (the privileged
// group authorizer), everyone else is decided by RBAC over the current
// snapshot. Also the rules review (SelfSubjectRulesReview) over the same chain.
//
// Pure functions over a borrowed snapshot; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "auth/attributes.h"
#include "auth/policy_rule.h"
#include "auth/rbac_snapshot.h"

namespace ferry::auth {

// `explain`: name the allowing binding in the reason (reviews do; requests do not).
Decision Authorize(const RbacSnapshot& rbac, const Attributes& attrs, bool explain = true);

// What a SelfSubjectRulesReview reports: rules with resources, rules with
// non-resource URLs (a rule with both appears in both), and the errors met.
struct RuleSet {
  std::vector<PolicyRule> resource_rules;
  std::vector<PolicyRule> non_resource_rules;
  bool incomplete = false;
  std::string evaluation_error;
};
RuleSet RulesFor(const RbacSnapshot& rbac, const UserInfo& user, std::string_view ns);

}  // namespace ferry::auth
