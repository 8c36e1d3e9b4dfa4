#include "auth/aggregation.h"

#include <algorithm>

#include "auth/policy_rule.h"

namespace ferry::auth {
namespace {

using nlohmann::json;

std::string LabelValue(const json& labels, const std::string& key, bool* has) {
  *has = false;
  if (!labels.is_object()) return "";
  auto it = labels.find(key);
  if (it == labels.end()) return "";
  *has = true;
  return it->is_string() ? it->get<std::string>() : it->dump();
}

StatusOr<bool> ExpressionMatches(const json& expr, const json& labels) {
  if (!expr.is_object() || !expr.value("key", json()).is_string()) {
    return InvalidArgumentError("matchExpressions entries need a key");
  }
  std::string key = expr["key"].get<std::string>();
  std::string op = expr.value("operator", "");
  std::vector<std::string> values;
  for (const json& v : expr.value("values", json::array())) {
    if (v.is_string()) values.push_back(v.get<std::string>());
  }
  bool has;
  std::string value = LabelValue(labels, key, &has);
  bool in = std::find(values.begin(), values.end(), value) != values.end();
  if (op == "In" || op == "NotIn") {
    if (values.empty()) {
      return InvalidArgumentError(
          "values: Invalid value: []string{}: for 'in', 'notin' "
          "operators, values set can't be empty");
    }
    return op == "In" ? has && in : !has || !in;
  }
  if (op == "Exists" || op == "DoesNotExist") {
    if (!values.empty()) {
      return InvalidArgumentError(
          "values: Invalid value: values set must be empty for "
          "exists and does not exist");
    }
    return op == "Exists" ? has : !has;
  }
  return InvalidArgumentError(GoQuote(op) + " is not a valid label selector operator");
}

const json& Field(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

std::string Name(const json& role) {
  const json& n = Field(Field(role, "metadata"), "name");
  return n.is_string() ? n.get<std::string>() : "";
}

// One controller pass for `role` over the current rules of all roles.
std::vector<PolicyRule> Aggregate(const std::string& name, const json& rule,
                                  const std::map<std::string, const json*>& labels,
                                  const std::map<std::string, std::vector<PolicyRule>>& rules) {
  std::vector<PolicyRule> out;
  const json& selectors = Field(rule, "clusterRoleSelectors");
  if (!selectors.is_array()) return out;
  for (const json& selector : selectors) {
    for (const auto& [other, other_labels] : labels) {  // std::map: by name
      if (other == name) continue;
      auto match = LabelSelectorMatches(selector, *other_labels);
      if (!match.ok() || !*match) continue;
      for (const PolicyRule& r : rules.at(other)) {
        if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
      }
    }
  }
  return out;
}

}  // namespace

StatusOr<bool> LabelSelectorMatches(const json& selector, const json& labels) {
  if (selector.is_null()) return false;  // a nil selector selects nothing
  if (!selector.is_object()) return InvalidArgumentError("a label selector must be an object");
  const json& match_labels = Field(selector, "matchLabels");
  if (match_labels.is_object()) {
    for (const auto& [k, v] : match_labels.items()) {
      bool has;
      std::string value = LabelValue(labels, k, &has);
      if (!has || !v.is_string() || value != v.get<std::string>()) return false;
    }
  }
  const json& exprs = Field(selector, "matchExpressions");
  if (exprs.is_array()) {
    for (const json& e : exprs) {
      ASSIGN_OR_RETURN(bool ok, ExpressionMatches(e, labels));
      if (!ok) return false;
    }
  }
  return true;
}

std::map<std::string, json> AggregateClusterRoles(const std::vector<const json*>& cluster_roles) {
  static const json kNoLabels = json::object();
  std::map<std::string, const json*> labels;
  std::map<std::string, std::vector<PolicyRule>> rules;
  std::map<std::string, const json*> aggregated;  // name → aggregationRule
  for (const json* role : cluster_roles) {
    std::string name = Name(*role);
    const json& l = Field(Field(*role, "metadata"), "labels");
    labels[name] = l.is_object() ? &l : &kNoLabels;
    rules[name] = ParseRules(Field(*role, "rules"));
    const json& agg = Field(*role, "aggregationRule");
    if (agg.is_object()) aggregated[name] = &agg;
  }
  const std::map<std::string, std::vector<PolicyRule>> stored = rules;
  // Each pass can only pull rules one aggregation level further; a chain is
  // short (Kubeflow's is 3 deep), the bound keeps cycles finite.
  for (int pass = 0; pass < 16; ++pass) {
    bool any = false;
    for (const auto& [name, agg] : aggregated) {
      std::vector<PolicyRule> next = Aggregate(name, *agg, labels, rules);
      if (next == rules[name]) continue;
      rules[name] = std::move(next);
      any = true;
    }
    if (!any) break;
  }
  std::map<std::string, json> out;
  for (const auto& [name, agg] : aggregated) {
    if (rules[name] != stored.at(name)) out[name] = RulesToJson(rules[name]);
  }
  return out;
}

}  // namespace ferry::auth
