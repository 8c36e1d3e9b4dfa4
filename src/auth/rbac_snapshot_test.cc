// The RBAC evaluator against Kubernetes' own test cases, kept as data:
// plugin/pkg/auth/authorizer/rbac/rbac_test.go (TestAuthorizer,
// TestRuleMatches) and pkg/registry/rbac/validation/rule_test.go
// (TestDefaultRuleResolver, TestAppliesTo), then Ferry's own cases
// (resourceNames, "*/subresource", ServiceAccount namespace defaulting,
// missing roles, reasons).
#include "auth/rbac_snapshot.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "auth/authorizer.h"

namespace ferry::auth {
namespace {

using nlohmann::json;

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

// rbac_test.go's newRule: every field split on ',' ("" becomes [""]).
json NewRule(const std::string& verbs, const std::string& groups, const std::string& resources,
             const std::string& urls) {
  return {{"verbs", Split(verbs)},
          {"apiGroups", Split(groups)},
          {"resources", Split(resources)},
          {"nonResourceURLs", Split(urls)}};
}

json Subjects(const std::vector<std::string>& subjects) {
  json out = json::array();
  for (const std::string& s : subjects) {
    size_t colon = s.find(':');
    json subj = {{"kind", s.substr(0, colon)}, {"name", s.substr(colon + 1)}};
    if (subj["kind"] == "ServiceAccount") {
      std::string rest = s.substr(colon + 1);
      size_t slash = rest.find('/');
      if (slash != std::string::npos) {
        subj["namespace"] = rest.substr(0, slash);
        subj["name"] = rest.substr(slash + 1);
      }
    }
    out.push_back(subj);
  }
  return out;
}

json ClusterRole(const std::string& name, json rules) {
  return {{"metadata", {{"name", name}}}, {"rules", rules}};
}
json Role(const std::string& ns, const std::string& name, json rules) {
  return {{"metadata", {{"name", name}, {"namespace", ns}}}, {"rules", rules}};
}
json ClusterRoleBinding(const std::string& role, const std::vector<std::string>& subjects,
                        const std::string& name = "crb") {
  return {{"metadata", {{"name", name}}},
          {"roleRef", {{"kind", "ClusterRole"}, {"name", role}}},
          {"subjects", Subjects(subjects)}};
}
json RoleBinding(const std::string& ns, const std::string& kind, const std::string& role,
                 const std::vector<std::string>& subjects, const std::string& name = "rb") {
  return {{"metadata", {{"name", name}, {"namespace", ns}}},
          {"roleRef", {{"kind", kind}, {"name", role}}},
          {"subjects", Subjects(subjects)}};
}

struct World {
  std::vector<json> roles, cluster_roles, role_bindings, cluster_role_bindings;
  RbacSnapshot Build() const {
    RbacObjects o;
    for (const json& j : roles) o.roles.push_back(&j);
    for (const json& j : cluster_roles) o.cluster_roles.push_back(&j);
    for (const json& j : role_bindings) o.role_bindings.push_back(&j);
    for (const json& j : cluster_role_bindings) o.cluster_role_bindings.push_back(&j);
    return RbacSnapshot(o);
  }
};

UserInfo User(const std::string& name, const std::string& groups = "") {
  UserInfo u;
  u.name = name;
  if (!groups.empty()) u.groups = Split(groups);
  return u;
}

// rbac_test.go's defaultAttributes{user, groups, verb, resource, subresource, namespace, apiGroup}.
struct Req {
  std::string user, groups, verb, resource, subresource, ns, group;
};

bool Allowed(const RbacSnapshot& s, const Req& r) {
  UserInfo u = User(r.user, r.groups);
  Attributes a;
  a.user = &u;
  a.verb = r.verb;
  a.resource_request = true;
  a.resource = r.resource;
  a.subresource = r.subresource;
  a.ns = r.ns;
  a.api_group = r.group;
  return s.Authorize(a).allowed;
}

bool AllowedPath(const RbacSnapshot& s, const UserInfo& u, const std::string& verb,
                 const std::string& path) {
  Attributes a;
  a.user = &u;
  a.verb = verb;
  a.path = path;
  return s.Authorize(a).allowed;
}

TEST(KubernetesTestAuthorizer, ClusterRoleBoundInNamespace) {
  World w;
  w.cluster_roles = {ClusterRole("admin", {NewRule("*", "*", "*", "*")})};
  w.role_bindings = {RoleBinding("ns1", "ClusterRole", "admin", {"User:admin", "Group:admins"})};
  RbacSnapshot s = w.Build();
  for (const Req& r :
       std::vector<Req>{{"admin", "", "get", "Pods", "", "ns1", ""},
                        {"admin", "", "watch", "Pods", "", "ns1", ""},
                        {"admin", "group1", "watch", "Foobar", "", "ns1", ""},
                        {"joe", "admins", "watch", "Foobar", "", "ns1", ""},
                        {"joe", "group1,admins", "watch", "Foobar", "", "ns1", ""}}) {
    EXPECT_TRUE(Allowed(s, r)) << r.user << " " << r.verb << " " << r.resource;
  }
  for (const Req& r : std::vector<Req>{{"admin", "", "GET", "Pods", "", "ns2", ""},
                                       {"admin", "", "GET", "Nodes", "", "", ""},
                                       {"admin", "admins", "GET", "Pods", "", "ns2", ""},
                                       {"admin", "admins", "GET", "Nodes", "", "", ""}}) {
    EXPECT_FALSE(Allowed(s, r)) << r.user << " " << r.verb << " " << r.resource << " " << r.ns;
  }
}

TEST(KubernetesTestAuthorizer, NonResourceUrls) {
  World w;
  w.cluster_roles = {ClusterRole("non-resource-url-getter", {NewRule("get", "", "", "/apis")}),
                     ClusterRole("non-resource-url", {NewRule("*", "", "", "/apis")}),
                     ClusterRole("non-resource-url-prefix", {NewRule("get", "", "", "/apis/*")})};
  w.cluster_role_bindings = {
      ClusterRoleBinding("non-resource-url-getter", {"User:foo", "Group:bar"}, "a"),
      ClusterRoleBinding("non-resource-url", {"User:admin", "Group:admin"}, "b"),
      ClusterRoleBinding("non-resource-url-prefix", {"User:prefixed", "Group:prefixed"}, "c")};
  RbacSnapshot s = w.Build();
  struct Case {
    UserInfo user;
    std::string verb, path;
    bool allowed;
  };
  std::vector<Case> cases = {
      {User("foo"), "get", "/apis", true},
      {User("", "bar"), "get", "/apis", true},
      {User("admin"), "get", "/apis", true},
      {User("", "admin"), "get", "/apis", true},
      {User("admin"), "watch", "/apis", true},
      {User("", "admin"), "watch", "/apis", true},
      {User("prefixed"), "get", "/apis/v1", true},
      {User("", "prefixed"), "get", "/apis/v1", true},
      {User("prefixed"), "get", "/apis/v1/foobar", true},
      {User("", "prefixed"), "get", "/apis/v1/foorbar", true},
      // wrong verb
      {User("foo"), "watch", "/apis", false},
      {User("", "bar"), "watch", "/apis", false},
      // wrong path
      {User("foo"), "get", "/api/v1", false},
      {User("", "bar"), "get", "/api/v1", false},
      {User("admin"), "get", "/api/v1", false},
      {User("", "admin"), "get", "/api/v1", false},
      // not covered by prefix
      {User("prefixed"), "get", "/api/v1", false},
      {User("", "prefixed"), "get", "/api/v1", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(AllowedPath(s, c.user, c.verb, c.path), c.allowed)
        << c.user.name << " " << c.verb << " " << c.path;
  }
}

TEST(KubernetesTestAuthorizer, SubresourceResolution) {
  World w;
  w.cluster_roles = {ClusterRole("admin", {NewRule("*", "*", "pods", "*")})};
  w.role_bindings = {RoleBinding("ns1", "ClusterRole", "admin", {"User:admin", "Group:admins"})};
  RbacSnapshot s = w.Build();
  EXPECT_TRUE(Allowed(s, {"admin", "", "get", "pods", "", "ns1", ""}));
  EXPECT_FALSE(Allowed(s, {"admin", "", "get", "pods", "status", "ns1", ""}));

  World w2;
  w2.cluster_roles = {ClusterRole("admin", {NewRule("*", "*", "pods/status", "*")})};
  w2.role_bindings = w.role_bindings;
  RbacSnapshot s2 = w2.Build();
  EXPECT_TRUE(Allowed(s2, {"admin", "", "get", "pods", "status", "ns1", ""}));
  EXPECT_FALSE(Allowed(s2, {"admin", "", "get", "pods", "", "ns1", ""}));
}

TEST(KubernetesTestAuthorizer, StarSubresource) {
  World w;
  w.cluster_roles = {ClusterRole("admin", {NewRule("*", "*", "*/scale", "*")})};
  w.role_bindings = {RoleBinding("ns1", "ClusterRole", "admin", {"User:admin"})};
  RbacSnapshot s = w.Build();
  EXPECT_TRUE(Allowed(s, {"admin", "", "get", "pods", "scale", "ns1", ""}));
  EXPECT_TRUE(Allowed(s, {"admin", "", "get", "deployments", "scale", "ns1", ""}));
  EXPECT_FALSE(Allowed(s, {"admin", "", "get", "pods", "", "ns1", ""}));
  EXPECT_FALSE(Allowed(s, {"admin", "", "get", "pods", "status", "ns1", ""}));
  // "pods/*" has no wildcard meaning in Kubernetes: it names a subresource "*".
  World w2;
  w2.cluster_roles = {ClusterRole("admin", {NewRule("*", "*", "pods/*", "*")})};
  w2.role_bindings = w.role_bindings;
  RbacSnapshot s2 = w2.Build();
  EXPECT_FALSE(Allowed(s2, {"admin", "", "get", "pods", "status", "ns1", ""}));
  EXPECT_FALSE(Allowed(s2, {"admin", "", "get", "pods", "", "ns1", ""}));
  EXPECT_TRUE(Allowed(s2, {"admin", "", "get", "pods", "*", "ns1", ""}));
}

struct RuleCase {
  std::string verb, group, resource, subresource, name, path;
  bool resource_request;
  bool expected;
};

void ExpectRule(const std::string& label, const PolicyRule& rule,
                const std::vector<RuleCase>& cases) {
  for (const RuleCase& c : cases) {
    Attributes a;
    a.verb = c.verb;
    a.api_group = c.group;
    a.resource = c.resource;
    a.subresource = c.subresource;
    a.name = c.name;
    a.path = c.path;
    a.resource_request = c.resource_request;
    EXPECT_EQ(RuleAllows(a, rule), c.expected)
        << label << ": " << c.verb << " " << c.group << " " << c.resource << "/" << c.subresource
        << " " << c.path;
  }
}

RuleCase Res(std::string verb, std::string group, std::string resource, bool expected,
             std::string subresource = "", std::string name = "") {
  return {verb, group, resource, subresource, name, "", true, expected};
}
RuleCase Url(std::string verb, std::string path, bool expected) {
  return {verb, "", "", "", "", path, false, expected};
}

TEST(KubernetesTestRuleMatches, Table) {
  ExpectRule(
      "star verb, exact match other", {{"*"}, {"group1"}, {"resource1"}, {}, {}},
      {Res("verb1", "group1", "resource1", true), Res("verb1", "group2", "resource1", false),
       Res("verb1", "group1", "resource2", false), Res("verb1", "group2", "resource2", false),
       Res("verb2", "group1", "resource1", true), Res("verb2", "group2", "resource1", false),
       Res("verb2", "group1", "resource2", false), Res("verb2", "group2", "resource2", false)});
  ExpectRule(
      "star group, exact match other", {{"verb1"}, {"*"}, {"resource1"}, {}, {}},
      {Res("verb1", "group1", "resource1", true), Res("verb1", "group2", "resource1", true),
       Res("verb1", "group1", "resource2", false), Res("verb1", "group2", "resource2", false),
       Res("verb2", "group1", "resource1", false), Res("verb2", "group2", "resource1", false),
       Res("verb2", "group1", "resource2", false), Res("verb2", "group2", "resource2", false)});
  ExpectRule(
      "star resource, exact match other", {{"verb1"}, {"group1"}, {"*"}, {}, {}},
      {Res("verb1", "group1", "resource1", true), Res("verb1", "group2", "resource1", false),
       Res("verb1", "group1", "resource2", true), Res("verb1", "group2", "resource2", false),
       Res("verb2", "group1", "resource1", false), Res("verb2", "group2", "resource1", false),
       Res("verb2", "group1", "resource2", false), Res("verb2", "group2", "resource2", false)});
  ExpectRule(
      "tuple expansion",
      {{"verb1", "verb2"}, {"group1", "group2"}, {"resource1", "resource2"}, {}, {}},
      {Res("verb1", "group1", "resource1", true), Res("verb1", "group2", "resource1", true),
       Res("verb1", "group1", "resource2", true), Res("verb1", "group2", "resource2", true),
       Res("verb2", "group1", "resource1", true), Res("verb2", "group2", "resource1", true),
       Res("verb2", "group1", "resource2", true), Res("verb2", "group2", "resource2", true)});
  ExpectRule("subresource expansion", {{"*"}, {"*"}, {"resource1/subresource1"}, {}, {}},
             {Res("verb1", "group1", "resource1", true, "subresource1"),
              Res("verb1", "group2", "resource1", false, "subresource2"),
              Res("verb1", "group1", "resource2", false, "subresource1"),
              Res("verb1", "group2", "resource2", false, "subresource1"),
              Res("verb2", "group1", "resource1", true, "subresource1"),
              Res("verb2", "group2", "resource1", false, "subresource2"),
              Res("verb2", "group1", "resource2", false, "subresource1"),
              Res("verb2", "group2", "resource2", false, "subresource1")});
  ExpectRule("star nonresource, exact match other", {{"verb1"}, {}, {}, {}, {"*"}},
             {Url("verb1", "/foo", true), Url("verb1", "/foo/bar", true),
              Url("verb1", "/foo/baz", true), Url("verb1", "/foo/bar/one", true),
              Url("verb1", "/foo/baz/one", true), Url("verb2", "/foo", false),
              Url("verb2", "/foo/bar", false), Url("verb2", "/foo/baz", false),
              Url("verb2", "/foo/bar/one", false), Url("verb2", "/foo/baz/one", false)});
  ExpectRule("star nonresource subpath", {{"verb1"}, {}, {}, {}, {"/foo/*"}},
             {Url("verb1", "/foo", false), Url("verb1", "/foo/bar", true),
              Url("verb1", "/foo/baz", true), Url("verb1", "/foo/bar/one", true),
              Url("verb1", "/foo/baz/one", true), Url("verb1", "/notfoo", false),
              Url("verb1", "/notfoo/bar", false), Url("verb1", "/notfoo/baz", false),
              Url("verb1", "/notfoo/bar/one", false), Url("verb1", "/notfoo/baz/one", false)});
  ExpectRule(
      "star verb, exact nonresource", {{"*"}, {}, {}, {}, {"/foo", "/foo/bar/one"}},
      {Url("verb1", "/foo", true), Url("verb1", "/foo/bar", false), Url("verb1", "/foo/baz", false),
       Url("verb1", "/foo/bar/one", true), Url("verb1", "/foo/baz/one", false),
       Url("verb2", "/foo", true), Url("verb2", "/foo/bar", false), Url("verb2", "/foo/baz", false),
       Url("verb2", "/foo/bar/one", true), Url("verb2", "/foo/baz/one", false)});
  // Ferry's own: resourceNames restrict; an unnamed request (list) is not covered.
  ExpectRule("resource names", {{"get"}, {""}, {"secrets"}, {"s3creds"}, {}},
             {Res("get", "", "secrets", true, "", "s3creds"),
              Res("get", "", "secrets", false, "", "other"), Res("get", "", "secrets", false)});
}

TEST(KubernetesTestDefaultRuleResolver, EffectiveRules) {
  json read_pods = {{"verbs", {"GET", "WATCH"}}, {"apiGroups", {"v1"}}, {"resources", {"pods"}}};
  json read_services = {
      {"verbs", {"GET", "WATCH"}}, {"apiGroups", {"v1"}}, {"resources", {"services"}}};
  json write_nodes = {
      {"verbs", {"PUT", "CREATE", "UPDATE"}}, {"apiGroups", {"v1"}}, {"resources", {"nodes"}}};
  json admin = {{"verbs", {"*"}}, {"apiGroups", {"*"}}, {"resources", {"*"}}};
  World w;
  w.roles = {Role("namespace1", "readthings", {read_pods, read_services})};
  w.cluster_roles = {ClusterRole("cluster-admin", {admin}),
                     ClusterRole("write-nodes", {write_nodes})};
  w.role_bindings = {
      RoleBinding("namespace1", "Role", "readthings", {"User:foobar", "Group:group1"})};
  w.cluster_role_bindings = {ClusterRoleBinding("cluster-admin", {"User:admin", "Group:admin"})};
  RbacSnapshot s = w.Build();
  std::vector<std::string> errors;
  EXPECT_EQ(s.RulesFor(User("foobar"), "namespace1", &errors),
            ParseRules(json::array({read_pods, read_services})));
  EXPECT_TRUE(s.RulesFor(User("foobar"), "namespace2", &errors).empty());
  EXPECT_EQ(s.RulesFor(User("foobar", "admin"), "", &errors), ParseRules(json::array({admin})));
  EXPECT_TRUE(s.RulesFor(User(""), "", &errors).empty());
  EXPECT_TRUE(errors.empty());
}

TEST(KubernetesTestAppliesTo, Table) {
  struct Case {
    std::vector<std::string> subjects;
    UserInfo user;
    std::string ns;
    bool applies;
    std::string name;
  };
  std::vector<Case> cases = {
      {{"User:foobar"}, User("foobar"), "", true, "single subject that matches username"},
      {{"User:barfoo", "User:foobar"},
       User("foobar"),
       "",
       true,
       "multiple subjects, one that matches username"},
      {{"User:barfoo", "User:foobar"},
       User("zimzam"),
       "",
       false,
       "multiple subjects, none that match username"},
      {{"User:barfoo", "Group:foobar"},
       User("zimzam", "foobar"),
       "",
       true,
       "multiple subjects, one that match group"},
      {{"User:barfoo", "Group:foobar"},
       User("zimzam", "foobar"),
       "namespace1",
       true,
       "multiple subjects, one that match group, should ignore namespace"},
      {{"User:barfoo", "Group:foobar", "ServiceAccount:kube-system/default"},
       User("system:serviceaccount:kube-system:default"),
       "default",
       true,
       "multiple subjects with a service account that matches"},
      {{"User:*"}, User("foobar"), "default", false, "* user subject name doesn't match all users"},
      {{"Group:system:authenticated", "Group:system:unauthenticated"},
       User("foobar", "system:authenticated"),
       "default",
       true,
       "binding to all authenticated and unauthenticated subjects matches authenticated user"},
      {{"Group:system:authenticated", "Group:system:unauthenticated"},
       User("system:anonymous", "system:unauthenticated"),
       "default",
       true,
       "binding to all authenticated and unauthenticated subjects matches anonymous user"},
  };
  for (const Case& c : cases) {
    // appliesTo through a real binding: a RoleBinding in c.ns (or a
    // ClusterRoleBinding when there is no namespace) to a role allowing all.
    World w;
    w.cluster_roles = {ClusterRole("all", {NewRule("*", "*", "*", "*")})};
    if (c.ns.empty()) {
      w.cluster_role_bindings = {ClusterRoleBinding("all", c.subjects)};
    } else {
      w.role_bindings = {RoleBinding(c.ns, "ClusterRole", "all", c.subjects)};
    }
    RbacSnapshot s = w.Build();
    EXPECT_EQ(!s.RulesFor(c.user, c.ns, nullptr).empty(), c.applies) << c.name;
  }
}

// --- Ferry's own cases ---

TEST(RbacSnapshot, ServiceAccountSubjectDefaultsToBindingNamespace) {
  World w;
  w.cluster_roles = {ClusterRole("edit", {NewRule("*", "serving.kserve.io", "*", "")})};
  w.role_bindings = {RoleBinding("ns1", "ClusterRole", "edit", {"ServiceAccount:default-editor"})};
  // In a ClusterRoleBinding an SA subject without namespace never applies.
  w.cluster_role_bindings = {ClusterRoleBinding("edit", {"ServiceAccount:default-editor"})};
  RbacSnapshot s = w.Build();
  EXPECT_TRUE(Allowed(s, {"system:serviceaccount:ns1:default-editor", "", "create",
                          "inferenceservices", "", "ns1", "serving.kserve.io"}));
  EXPECT_FALSE(Allowed(s, {"system:serviceaccount:ns2:default-editor", "", "create",
                           "inferenceservices", "", "ns1", "serving.kserve.io"}));
  EXPECT_FALSE(Allowed(s, {"system:serviceaccount:ns1:default-editor", "", "create",
                           "inferenceservices", "", "ns2", "serving.kserve.io"}));
  EXPECT_FALSE(Allowed(s, {"system:serviceaccount:ns1:default-editor", "", "list",
                           "inferenceservices", "", "", "serving.kserve.io"}));
}

TEST(RbacSnapshot, ReasonsNameTheBindingAndMissingRoles) {
  World w;
  w.cluster_roles = {ClusterRole("view", {NewRule("get", "", "pods", "")})};
  w.role_bindings = {
      RoleBinding("ns1", "ClusterRole", "view", {"ServiceAccount:sa"}, "viewers"),
      RoleBinding("ns1", "Role", "gone", {"User:alice"}, "broken"),
  };
  w.cluster_role_bindings = {ClusterRoleBinding("missing", {"Group:system:authenticated"}, "x")};
  RbacSnapshot s = w.Build();
  UserInfo sa = User("system:serviceaccount:ns1:sa");
  Attributes a;
  a.user = &sa;
  a.verb = "get";
  a.resource_request = true;
  a.resource = "pods";
  a.ns = "ns1";
  Decision d = s.Authorize(a);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.reason,
            "RBAC: allowed by RoleBinding \"viewers/ns1\" of ClusterRole \"view\" to "
            "ServiceAccount \"sa/ns1\"");
  UserInfo alice = User("alice", "system:authenticated");
  a.user = &alice;
  d = s.Authorize(a);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason,
            "RBAC: [clusterrole.rbac.authorization.k8s.io \"missing\" not found, "
            "role.rbac.authorization.k8s.io \"gone\" not found]");
}

TEST(RbacSnapshot, PrivilegedGroupNeedsNoBinding) {
  RbacSnapshot empty;
  UserInfo admin = User("kubernetes-admin", "system:masters,system:authenticated");
  Attributes a;
  a.user = &admin;
  a.verb = "delete";
  a.resource_request = true;
  a.resource = "secrets";
  a.ns = "any";
  EXPECT_TRUE(Authorize(empty, a).allowed);
  EXPECT_FALSE(empty.Authorize(a).allowed);
  RuleSet rules = RulesFor(empty, admin, "any");
  ASSERT_EQ(rules.resource_rules.size(), 1u);
  EXPECT_EQ(rules.resource_rules[0].verbs, std::vector<std::string>{"*"});
  ASSERT_EQ(rules.non_resource_rules.size(), 1u);
}

TEST(RbacSnapshot, ThousandBindingsStillFindTheRightOne) {
  World w;
  w.cluster_roles = {
      ClusterRole("edit", {NewRule("get,list", "serving.kserve.io", "inferenceservices", "")})};
  for (int i = 0; i < 1000; ++i) {
    std::string ns = "ns" + std::to_string(i % 100);
    w.role_bindings.push_back(RoleBinding(
        ns, "ClusterRole", "edit", {"User:user" + std::to_string(i)}, "rb" + std::to_string(i)));
  }
  RbacSnapshot s = w.Build();
  EXPECT_EQ(s.binding_count(), 1000u);
  EXPECT_TRUE(
      Allowed(s, {"user742", "", "get", "inferenceservices", "", "ns42", "serving.kserve.io"}));
  EXPECT_FALSE(
      Allowed(s, {"user742", "", "get", "inferenceservices", "", "ns43", "serving.kserve.io"}));
  EXPECT_FALSE(
      Allowed(s, {"user742", "", "delete", "inferenceservices", "", "ns42", "serving.kserve.io"}));
}

}  // namespace
}  // namespace ferry::auth
