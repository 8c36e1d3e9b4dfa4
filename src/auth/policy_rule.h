// PolicyRule: one rule of an RBAC Role or ClusterRole and Kubernetes' exact
// matching semantics (rbac/v1 evaluation_helpers.go and rbac.go RuleAllows):
// verbs and API groups match exactly or by "*"; resources exactly, by "*", or
// by "*/SUB" for subresource SUB ("pods/*" has no wildcard meaning);
// resourceNames restrict by name when non-empty; nonResourceURLs match exactly,
// by "*", or by a trailing "*" prefix.
//
// Also the Go formatting Kubernetes uses in its messages (%q, CompactString),
// so Ferry's Forbidden texts are byte-for-byte Kubernetes'. Pure; thread-safe.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "auth/attributes.h"

namespace ferry::auth {

struct PolicyRule {
  std::vector<std::string> verbs;
  std::vector<std::string> api_groups;
  std::vector<std::string> resources;
  std::vector<std::string> resource_names;
  std::vector<std::string> non_resource_urls;

  friend bool operator==(const PolicyRule&, const PolicyRule&) = default;
};

// Reads a rules array as stored (fields absent or null are empty lists;
// non-string entries are skipped: validation refuses them on write).
std::vector<PolicyRule> ParseRules(const nlohmann::json& rules);
PolicyRule ParseRule(const nlohmann::json& rule);
// A rule as the API writes it (empty lists omitted).
nlohmann::json RuleToJson(const PolicyRule& rule);
nlohmann::json RulesToJson(const std::vector<PolicyRule>& rules);

bool VerbMatches(const PolicyRule& rule, std::string_view verb);
bool ApiGroupMatches(const PolicyRule& rule, std::string_view group);
// `combined` is "resource" or "resource/subresource".
bool ResourceMatches(const PolicyRule& rule, std::string_view combined,
                     std::string_view subresource);
bool ResourceNameMatches(const PolicyRule& rule, std::string_view name);
bool NonResourceUrlMatches(const PolicyRule& rule, std::string_view path);
bool RuleAllows(const Attributes& attrs, const PolicyRule& rule);

// Go's %q of a string (strconv.Quote) and of a []string (["a" "b"]).
std::string GoQuote(std::string_view s);
std::string GoQuote(const std::vector<std::string>& list);
// Kubernetes' rbacv1helpers.CompactString, e.g.
// {APIGroups:["serving.kserve.io"], Resources:["inferenceservices"], Verbs:["get"]}.
std::string CompactString(const PolicyRule& rule);

}  // namespace ferry::auth
