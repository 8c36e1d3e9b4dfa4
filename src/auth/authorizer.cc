#include "auth/authorizer.h"

namespace ferry::auth {

Decision Authorize(const RbacSnapshot& rbac, const Attributes& attrs, bool explain) {
  if (attrs.user != nullptr && attrs.user->InGroup(kPrivilegedGroup)) return {true, ""};
  if (attrs.user == nullptr) return {false, "no user"};
  return rbac.Authorize(attrs, explain);
}

RuleSet RulesFor(const RbacSnapshot& rbac, const UserInfo& user, std::string_view ns) {
  RuleSet out;
  std::vector<PolicyRule> rules;
  if (user.InGroup(kPrivilegedGroup)) {
    // The privileged group authorizer's own answer, before RBAC's.
    rules.push_back({{"*"}, {"*"}, {"*"}, {}, {}});
    rules.push_back({{"*"}, {}, {}, {}, {"*"}});
  }
  std::vector<std::string> errors;
  for (PolicyRule& r : rbac.RulesFor(user, ns, &errors)) rules.push_back(std::move(r));
  for (const PolicyRule& r : rules) {
    if (!r.resources.empty()) {
      out.resource_rules.push_back({r.verbs, r.api_groups, r.resources, r.resource_names, {}});
    }
    if (!r.non_resource_urls.empty()) {
      out.non_resource_rules.push_back({r.verbs, {}, {}, {}, r.non_resource_urls});
    }
  }
  out.evaluation_error = AggregateErrors(errors);
  return out;
}

}  // namespace ferry::auth
