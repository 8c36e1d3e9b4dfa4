#include "auth/rbac_snapshot.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace ferry::auth {
namespace {

using nlohmann::json;

std::string Str(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

const json& Meta(const json& obj) {
  static const json kEmpty = json::object();
  auto it = obj.find("metadata");
  return it != obj.end() && it->is_object() ? *it : kEmpty;
}

}  // namespace

std::string AggregateErrors(const std::vector<std::string>& errors) {
  if (errors.size() == 1) return errors[0];
  std::string out;
  for (const std::string& e : errors) out += (out.empty() ? "[" : ", ") + e;
  return out.empty() ? out : out + "]";
}

RbacSnapshot::RbacSnapshot() = default;

RbacSnapshot::RbacSnapshot(const RbacObjects& objects) {
  for (const json* r : objects.cluster_roles) {
    cluster_roles_[Str(Meta(*r), "name")] = ParseRules(r->value("rules", json()));
  }
  for (const json* r : objects.roles) {
    roles_[Str(Meta(*r), "namespace") + "/" + Str(Meta(*r), "name")] =
        ParseRules(r->value("rules", json()));
  }
  for (const json* b : objects.cluster_role_bindings) AddBinding(*b, true);
  for (const json* b : objects.role_bindings) AddBinding(*b, false);
  for (uint32_t i = 0; i < cluster_bindings_.size(); ++i) {
    Index(cluster_bindings_[i], i, &cluster_index_);
  }
  for (uint32_t i = 0; i < bindings_.size(); ++i) {
    Index(bindings_[i], i, &ns_index_[bindings_[i].ns]);
  }
}

void RbacSnapshot::AddBinding(const json& obj, bool cluster) {
  Binding b;
  b.name = Str(Meta(obj), "name");
  b.ns = cluster ? "" : Str(Meta(obj), "namespace");
  const json& ref = obj.value("roleRef", json::object());
  b.role_kind = Str(ref, "kind");
  b.role_name = Str(ref, "name");
  const json& subjects = obj.value("subjects", json::array());
  if (subjects.is_array()) {
    for (const json& s : subjects) {
      b.subjects.push_back({Str(s, "kind"), Str(s, "name"), Str(s, "namespace")});
    }
  }
  if (b.role_kind == "ClusterRole") {
    auto it = cluster_roles_.find(b.role_name);
    if (it != cluster_roles_.end()) {
      b.rules = &it->second;
    } else {
      b.error = "clusterrole.rbac.authorization.k8s.io " + GoQuote(b.role_name) + " not found";
    }
  } else if (b.role_kind == "Role" && !b.ns.empty()) {
    auto it = roles_.find(b.ns + "/" + b.role_name);
    if (it != roles_.end()) {
      b.rules = &it->second;
    } else {
      b.error = "role.rbac.authorization.k8s.io " + GoQuote(b.role_name) + " not found";
    }
  } else if (b.role_kind == "Role") {
    b.error = "must provide namespace when getting role";
  } else {
    b.error = "unsupported role reference kind: " + GoQuote(b.role_kind);
  }
  (cluster ? cluster_bindings_ : bindings_).push_back(std::move(b));
}

void RbacSnapshot::Index(const Binding& b, uint32_t index, SubjectIndex* into) {
  for (const Subject& s : b.subjects) {
    std::vector<uint32_t>* list = nullptr;
    if (s.kind == "User") {
      list = &into->users[s.name];
    } else if (s.kind == "Group") {
      list = &into->groups[s.name];
    } else if (s.kind == "ServiceAccount") {
      std::string_view ns = s.ns.empty() ? std::string_view(b.ns) : std::string_view(s.ns);
      if (ns.empty()) continue;  // a ClusterRoleBinding's SA subject needs a namespace
      list = &into->users[ServiceAccountUsername(ns, s.name)];
    } else {
      continue;  // unknown kinds never apply
    }
    if (list->empty() || list->back() != index) list->push_back(index);
  }
}

void RbacSnapshot::Candidates(const SubjectIndex& index, const UserInfo& user,
                              std::vector<uint32_t>* out) {
  out->clear();
  size_t lists = 0;
  auto add = [&](const std::unordered_map<std::string, std::vector<uint32_t>>& map,
                 const std::string& key) {
    if (map.empty()) return;
    auto it = map.find(key);
    if (it == map.end()) return;
    out->insert(out->end(), it->second.begin(), it->second.end());
    ++lists;
  };
  add(index.users, user.name);
  for (const std::string& g : user.groups) add(index.groups, g);
  if (lists > 1) {
    std::sort(out->begin(), out->end());
    out->erase(std::unique(out->begin(), out->end()), out->end());
  }
}

bool RbacSnapshot::Applies(const Subject& s, const UserInfo& user, std::string_view binding_ns) {
  if (s.kind == "User") return user.name == s.name;
  if (s.kind == "Group") return user.InGroup(s.name);
  if (s.kind == "ServiceAccount") {
    std::string_view ns = s.ns.empty() ? binding_ns : std::string_view(s.ns);
    return !ns.empty() && MatchesServiceAccount(ns, s.name, user.name);
  }
  return false;
}

template <typename F>
void RbacSnapshot::Visit(const UserInfo& user, std::string_view ns, F&& f) const {
  thread_local std::vector<uint32_t> candidates;
  auto run = [&](const std::vector<Binding>& bindings, const SubjectIndex& index) {
    Candidates(index, user, &candidates);
    for (uint32_t i : candidates) {
      const Binding& b = bindings[i];
      const Subject* subject = nullptr;
      for (const Subject& s : b.subjects) {
        if (Applies(s, user, b.ns)) {
          subject = &s;
          break;
        }
      }
      if (subject == nullptr) continue;
      if (b.rules == nullptr) {
        if (!f(b, *subject, nullptr)) return false;
        continue;
      }
      for (const PolicyRule& r : *b.rules) {
        if (!f(b, *subject, &r)) return false;
      }
    }
    return true;
  };
  if (!run(cluster_bindings_, cluster_index_)) return;
  if (ns.empty()) return;
  auto it = ns_index_.find(std::string(ns));
  if (it != ns_index_.end()) run(bindings_, it->second);
}

std::string RbacSnapshot::Describe(const Binding& b, const Subject& s) {
  std::string subject = s.kind + " ";
  if (s.kind == "ServiceAccount") {
    subject += GoQuote(s.name + "/" + (s.ns.empty() ? b.ns : s.ns));
  } else {
    subject += GoQuote(s.name);
  }
  if (b.ns.empty()) {
    return "ClusterRoleBinding " + GoQuote(b.name) + " of " + b.role_kind + " " +
           GoQuote(b.role_name) + " to " + subject;
  }
  return "RoleBinding " + GoQuote(b.name + "/" + b.ns) + " of " + b.role_kind + " " +
         GoQuote(b.role_name) + " to " + subject;
}

void RbacSnapshot::VisitRulesFor(const UserInfo& user, std::string_view ns,
                                 const Visitor& visit) const {
  Visit(user, ns, [&](const Binding& b, const Subject& s, const PolicyRule* rule) {
    if (rule == nullptr) return visit("", nullptr, b.error);
    return visit(Describe(b, s), rule, "");
  });
}

Decision RbacSnapshot::Authorize(const Attributes& attrs, bool explain) const {
  Decision d;
  std::vector<std::string> errors;
  Visit(*attrs.user, attrs.ns, [&](const Binding& b, const Subject& s, const PolicyRule* rule) {
    if (rule == nullptr) {
      errors.push_back(b.error);
      return true;
    }
    if (!RuleAllows(attrs, *rule)) return true;
    d.allowed = true;
    if (explain) d.reason = "RBAC: allowed by " + Describe(b, s);
    return false;
  });
  if (d.allowed || errors.empty()) return d;
  d.reason = "RBAC: " + AggregateErrors(errors);
  return d;
}

std::vector<PolicyRule> RbacSnapshot::RulesFor(const UserInfo& user, std::string_view ns,
                                               std::vector<std::string>* errors) const {
  std::vector<PolicyRule> out;
  Visit(user, ns, [&](const Binding& b, const Subject&, const PolicyRule* rule) {
    if (rule != nullptr) {
      out.push_back(*rule);
    } else if (errors != nullptr) {
      errors->push_back(b.error);
    }
    return true;
  });
  return out;
}

bool RbacSnapshot::RoleRefRules(std::string_view kind, std::string_view name,
                                std::string_view binding_ns, std::vector<PolicyRule>* rules,
                                std::string* error) const {
  if (kind == "ClusterRole") {
    auto it = cluster_roles_.find(std::string(name));
    if (it != cluster_roles_.end()) {
      *rules = it->second;
      return true;
    }
    *error = "clusterroles.rbac.authorization.k8s.io " + GoQuote(std::string(name)) + " not found";
    return false;
  }
  if (kind == "Role") {
    auto it = roles_.find(std::string(binding_ns) + "/" + std::string(name));
    if (it != roles_.end()) {
      *rules = it->second;
      return true;
    }
    *error = "roles.rbac.authorization.k8s.io " + GoQuote(std::string(name)) + " not found";
    return false;
  }
  *error = "unsupported role reference kind: " + GoQuote(std::string(kind));
  return false;
}

}  // namespace ferry::auth
