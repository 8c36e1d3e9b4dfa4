#include "auth/escalation.h"

#include <algorithm>
#include <map>
#include <set>

namespace ferry::auth {
namespace {

bool Has(const std::vector<std::string>& set, const std::string& v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

bool HasAll(const std::vector<std::string>& set, const std::vector<std::string>& want) {
  for (const std::string& w : want) {
    if (!Has(set, w)) return false;
  }
  return true;
}

bool ResourceCoversAll(const std::vector<std::string>& owner,
                       const std::vector<std::string>& wanted) {
  if (Has(owner, "*") || HasAll(owner, wanted)) return true;
  for (const std::string& path : wanted) {
    if (Has(owner, path)) continue;
    size_t slash = path.find('/');
    if (slash == std::string::npos) return false;
    if (!Has(owner, "*/" + path.substr(slash + 1))) return false;
  }
  return true;
}

bool NonResourceUrlCovers(const std::string& owner, const std::string& sub) {
  if (owner == sub) return true;
  if (owner.empty() || owner.back() != '*') return false;
  std::string prefix = owner;
  while (!prefix.empty() && prefix.back() == '*') prefix.pop_back();
  return sub.compare(0, prefix.size(), prefix) == 0;
}

bool NonResourceUrlsCoverAll(const std::vector<std::string>& owner,
                             const std::vector<std::string>& wanted) {
  for (const std::string& path : wanted) {
    bool covered = false;
    for (const std::string& o : owner) covered = covered || NonResourceUrlCovers(o, path);
    if (!covered) return false;
  }
  return true;
}

bool RuleCovers(const PolicyRule& owner, const PolicyRule& sub) {
  bool verbs = Has(owner.verbs, "*") || HasAll(owner.verbs, sub.verbs);
  bool groups = Has(owner.api_groups, "*") || HasAll(owner.api_groups, sub.api_groups);
  bool resources = ResourceCoversAll(owner.resources, sub.resources);
  bool urls = NonResourceUrlsCoverAll(owner.non_resource_urls, sub.non_resource_urls);
  bool names = sub.resource_names.empty() ? owner.resource_names.empty()
                                          : owner.resource_names.empty() ||
                                                HasAll(owner.resource_names, sub.resource_names);
  return verbs && groups && resources && names && urls;
}

}  // namespace

std::vector<PolicyRule> BreakdownRule(const PolicyRule& rule) {
  std::vector<PolicyRule> out;
  for (const std::string& group : rule.api_groups) {
    for (const std::string& resource : rule.resources) {
      for (const std::string& verb : rule.verbs) {
        if (rule.resource_names.empty()) {
          out.push_back({{verb}, {group}, {resource}, {}, {}});
          continue;
        }
        for (const std::string& name : rule.resource_names) {
          out.push_back({{verb}, {group}, {resource}, {name}, {}});
        }
      }
    }
  }
  for (const std::string& url : rule.non_resource_urls) {
    for (const std::string& verb : rule.verbs) out.push_back({{verb}, {}, {}, {}, {url}});
  }
  return out;
}

bool Covers(const std::vector<PolicyRule>& owner, const std::vector<PolicyRule>& servant,
            std::vector<PolicyRule>* missing) {
  bool all = true;
  for (const PolicyRule& rule : servant) {
    for (PolicyRule& sub : BreakdownRule(rule)) {
      bool covered = false;
      for (const PolicyRule& o : owner) {
        if (RuleCovers(o, sub)) {
          covered = true;
          break;
        }
      }
      if (covered) continue;
      all = false;
      if (missing == nullptr) return false;
      missing->push_back(std::move(sub));
    }
  }
  return all;
}

std::vector<PolicyRule> CompactRules(const std::vector<PolicyRule>& rules) {
  std::vector<PolicyRule> out;
  std::map<std::pair<std::string, std::string>, size_t> simple;  // group/resource → index
  std::vector<PolicyRule> merged;
  for (const PolicyRule& r : rules) {
    bool is_simple = r.resource_names.empty() && r.non_resource_urls.empty() &&
                     r.api_groups.size() == 1 && r.resources.size() == 1;
    if (!is_simple) {
      out.push_back(r);
      continue;
    }
    auto key = std::make_pair(r.api_groups[0], r.resources[0]);
    auto it = simple.find(key);
    if (it == simple.end()) {
      simple.emplace(key, merged.size());
      merged.push_back(r);
    } else {
      auto& verbs = merged[it->second].verbs;
      verbs.insert(verbs.end(), r.verbs.begin(), r.verbs.end());
    }
  }
  out.insert(out.end(), merged.begin(), merged.end());
  return out;
}

std::string EscalationMessage(const UserInfo& user, const std::vector<PolicyRule>& missing) {
  std::set<std::string> lines;
  for (const PolicyRule& r : CompactRules(missing)) lines.insert(CompactString(r));
  std::string msg = "user " + GoQuote(user.name) + " (groups=" + GoQuote(user.groups) +
                    ") is attempting to grant RBAC permissions not currently held:";
  for (const std::string& l : lines) msg += "\n" + l;
  return msg;
}

const std::vector<PolicyRule>& FullAuthority() {
  static const std::vector<PolicyRule> rules = {{{"*"}, {"*"}, {"*"}, {}, {}},
                                                {{"*"}, {}, {}, {}, {"*"}}};
  return rules;
}

}  // namespace ferry::auth
