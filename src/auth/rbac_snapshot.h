// RbacSnapshot: Kubernetes RBAC over one immutable set of Roles,
// ClusterRoles, RoleBindings and ClusterRoleBindings — the RBACAuthorizer and
// DefaultRuleResolver of kube-apiserver (plugin/pkg/auth/authorizer/rbac,
// pkg/registry/rbac/validation/rule.go) with the same visiting order (every
// ClusterRoleBinding, then the RoleBindings of the request's namespace), the
// same subject matching (User by name, Group by membership, ServiceAccount by
// "system:serviceaccount:NS:NAME", a RoleBinding's ServiceAccount subject
// without namespace meaning the binding's), the same reasons and errors.
//
// Indexed for the request path: bindings are found by user name and by group
// through hash maps (per namespace for RoleBindings), so a decision costs a
// few lookups however many bindings exist; rules are resolved at build time.
//
// Who builds it: the API server, from the stored objects, after each RBAC
// change; requests share it through shared_ptr<const RbacSnapshot>. Immutable
// after construction; every method is thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/attributes.h"
#include "auth/policy_rule.h"

namespace ferry::auth {

// The stored objects a snapshot is built from; borrowed during construction.
struct RbacObjects {
  std::vector<const nlohmann::json*> roles;
  std::vector<const nlohmann::json*> cluster_roles;
  std::vector<const nlohmann::json*> role_bindings;
  std::vector<const nlohmann::json*> cluster_role_bindings;
};

// Kubernetes' utilerrors.NewAggregate text: one error as is, several "[a, b]".
std::string AggregateErrors(const std::vector<std::string>& errors);

class RbacSnapshot {
 public:
  explicit RbacSnapshot(const RbacObjects& objects);
  RbacSnapshot();  // no objects: denies everything

  // `source` describes the binding ("ClusterRoleBinding \"x\" of ClusterRole
  // \"y\" to Group \"z\""); a null rule comes with an error. Return false to stop.
  using Visitor =
      std::function<bool(std::string_view source, const PolicyRule* rule, std::string_view error)>;
  void VisitRulesFor(const UserInfo& user, std::string_view ns, const Visitor& visit) const;

  // RBAC's decision (no privileged-group shortcut: see authorizer.h). The
  // allowing binding is named in the reason only when `explain` (building the
  // text costs more than the decision; the request path does not need it).
  Decision Authorize(const Attributes& attrs, bool explain = true) const;
  // Every rule that applies to `user` in `ns` (cluster-wide ones for ""), and
  // the errors met resolving bindings (missing roles).
  std::vector<PolicyRule> RulesFor(const UserInfo& user, std::string_view ns,
                                   std::vector<std::string>* errors) const;
  // The rules a roleRef grants when bound in `binding_ns` ("" for a
  // ClusterRoleBinding); false with Kubernetes' NotFound text when missing.
  bool RoleRefRules(std::string_view kind, std::string_view name, std::string_view binding_ns,
                    std::vector<PolicyRule>* rules, std::string* error) const;

  size_t binding_count() const { return cluster_bindings_.size() + bindings_.size(); }

 private:
  struct Subject {
    std::string kind;
    std::string name;
    std::string ns;
  };
  struct Binding {
    std::string name;
    std::string ns;  // empty for ClusterRoleBindings
    std::string role_kind;
    std::string role_name;
    std::vector<Subject> subjects;
    const std::vector<PolicyRule>* rules = nullptr;  // null: `error`
    std::string error;
  };
  struct SubjectIndex {
    std::unordered_map<std::string, std::vector<uint32_t>> users;
    std::unordered_map<std::string, std::vector<uint32_t>> groups;
  };

  void AddBinding(const nlohmann::json& obj, bool cluster);
  static void Index(const Binding& b, uint32_t index, SubjectIndex* into);
  // Indices of the bindings in `index` whose subjects may match `user`, in order.
  static void Candidates(const SubjectIndex& index, const UserInfo& user,
                         std::vector<uint32_t>* out);
  static bool Applies(const Subject& s, const UserInfo& user, std::string_view binding_ns);
  // Calls f(binding, subject, rule) for every rule of every binding that
  // applies (rule null when the role is missing); stops when f returns false.
  template <typename F>
  void Visit(const UserInfo& user, std::string_view ns, F&& f) const;
  static std::string Describe(const Binding& b, const Subject& s);

  std::unordered_map<std::string, std::vector<PolicyRule>> cluster_roles_;  // by name
  std::unordered_map<std::string, std::vector<PolicyRule>> roles_;          // by "ns/name"
  std::vector<Binding> cluster_bindings_;
  std::vector<Binding> bindings_;
  SubjectIndex cluster_index_;
  std::unordered_map<std::string, SubjectIndex> ns_index_;
};

}  // namespace ferry::auth
