// ClusterRole aggregation (kube-controller-manager's controller semantics),
// label selectors, and the reconciliation of Kubernetes' bootstrap policy.
#include "auth/aggregation.h"

#include <gtest/gtest.h>

#include "auth/bootstrap_policy.h"
#include "auth/policy_rule.h"

namespace ferry::auth {
namespace {

using nlohmann::json;

json Role(const std::string& name, json labels, json rules, json agg = nullptr) {
  json r = {{"metadata", {{"name", name}, {"labels", labels}}}, {"rules", rules}};
  if (!agg.is_null()) r["aggregationRule"] = agg;
  return r;
}

json Selects(const std::string& label) {
  return {{"clusterRoleSelectors", {{{"matchLabels", {{label, "true"}}}}}}};
}

std::map<std::string, json> Aggregated(const std::vector<json>& roles) {
  std::vector<const json*> ptrs;
  for (const json& r : roles) ptrs.push_back(&r);
  return AggregateClusterRoles(ptrs);
}

TEST(Aggregation, KubeflowChainConverges) {
  // kubeflow-admin ⊃ kubeflow-edit ⊃ kubeflow-view, as the pinned
  // common/kubeflow-roles aggregate them, plus KServe's roles.
  json get = {{"apiGroups", {"serving.kserve.io"}},
              {"resources", {"inferenceservices"}},
              {"verbs", {"get", "list", "watch"}}};
  json write = {{"apiGroups", {"serving.kserve.io"}},
                {"resources", {"inferenceservices"}},
                {"verbs", {"create", "delete"}}};
  std::vector<json> roles = {
      Role("kubeflow-admin", json::object(), json::array(),
           Selects("rbac.authorization.kubeflow.org/aggregate-to-kubeflow-admin")),
      Role("kubeflow-edit",
           {{"rbac.authorization.kubeflow.org/aggregate-to-kubeflow-admin", "true"}}, json::array(),
           Selects("rbac.authorization.kubeflow.org/aggregate-to-kubeflow-edit")),
      Role("kubeflow-view",
           {{"rbac.authorization.kubeflow.org/aggregate-to-kubeflow-edit", "true"}}, json::array(),
           Selects("rbac.authorization.kubeflow.org/aggregate-to-kubeflow-view")),
      Role("kubeflow-kserve-view",
           {{"rbac.authorization.kubeflow.org/aggregate-to-kubeflow-view", "true"}}, {get}),
      Role("kubeflow-kserve-edit",
           {{"rbac.authorization.kubeflow.org/aggregate-to-kubeflow-edit", "true"}}, {write}),
  };
  auto out = Aggregated(roles);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(ParseRules(out["kubeflow-view"]), ParseRules(json::array({get})));
  // Roles in name order: kubeflow-kserve-edit before kubeflow-view.
  EXPECT_EQ(ParseRules(out["kubeflow-edit"]), ParseRules(json::array({write, get})));
  EXPECT_EQ(ParseRules(out["kubeflow-admin"]), ParseRules(json::array({write, get})));
  // Writing the result back is a fixpoint: nothing more to do.
  roles[0]["rules"] = out["kubeflow-admin"];
  roles[1]["rules"] = out["kubeflow-edit"];
  roles[2]["rules"] = out["kubeflow-view"];
  EXPECT_TRUE(Aggregated(roles).empty());
}

TEST(Aggregation, DuplicatesOnceAndSelfSkipped) {
  json r = {{"apiGroups", {""}}, {"resources", {"pods"}}, {"verbs", {"get"}}};
  std::vector<json> roles = {
      Role("agg", {{"x", "true"}}, {r}, Selects("x")),  // selects itself: skipped
      Role("a", {{"x", "true"}}, {r}),
      Role("b", {{"x", "true"}}, {r}),
  };
  auto out = Aggregated(roles);
  EXPECT_TRUE(out.empty());  // agg already holds exactly {r}
  roles[0]["rules"] = json::array();
  out = Aggregated(roles);
  EXPECT_EQ(ParseRules(out["agg"]), ParseRules(json::array({r})));
}

TEST(LabelSelector, MatchLabelsAndExpressions) {
  json labels = {{"app", "kserve"}, {"tier", "web"}};
  EXPECT_TRUE(*LabelSelectorMatches(json::object(), labels));  // empty selects everything
  EXPECT_FALSE(*LabelSelectorMatches(json(), labels));         // nil selects nothing
  EXPECT_TRUE(*LabelSelectorMatches({{"matchLabels", {{"app", "kserve"}}}}, labels));
  EXPECT_FALSE(*LabelSelectorMatches({{"matchLabels", {{"app", "other"}}}}, labels));
  auto expr = [](std::string op, json values) {
    json e = {{"key", "tier"}, {"operator", op}};
    if (!values.is_null()) e["values"] = values;
    return json{{"matchExpressions", {e}}};
  };
  EXPECT_TRUE(*LabelSelectorMatches(expr("In", {"web", "db"}), labels));
  EXPECT_FALSE(*LabelSelectorMatches(expr("NotIn", {"web"}), labels));
  EXPECT_TRUE(*LabelSelectorMatches(expr("Exists", nullptr), labels));
  EXPECT_FALSE(*LabelSelectorMatches(expr("DoesNotExist", nullptr), labels));
  EXPECT_FALSE(LabelSelectorMatches(expr("In", json::array()), labels).ok());
  EXPECT_FALSE(LabelSelectorMatches(expr("Near", {"x"}), labels).ok());
}

const json* Find(const std::vector<json>& objs, const std::string& name) {
  for (const json& o : objs) {
    if (o["metadata"]["name"] == name) return &o;
  }
  return nullptr;
}

TEST(BootstrapPolicy, KubernetesRolesAndBindings) {
  std::vector<json> roles = BootstrapClusterRoles();
  std::vector<json> bindings = BootstrapClusterRoleBindings();
  for (const char* name : {"cluster-admin", "admin", "edit", "view", "system:aggregate-to-admin",
                           "system:aggregate-to-edit", "system:aggregate-to-view",
                           "system:discovery", "system:basic-user", "system:public-info-viewer",
                           "system:service-account-issuer-discovery"}) {
    const json* r = Find(roles, name);
    ASSERT_NE(r, nullptr) << name;
    EXPECT_EQ((*r)["metadata"]["labels"]["kubernetes.io/bootstrapping"], "rbac-defaults");
    EXPECT_EQ((*r)["metadata"]["annotations"]["rbac.authorization.kubernetes.io/autoupdate"],
              "true");
  }
  EXPECT_EQ(
      (*Find(roles, "edit"))["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-admin"],
      "true");
  EXPECT_EQ((*Find(bindings, "cluster-admin"))["subjects"][0]["name"], "system:masters");
  EXPECT_EQ((*Find(bindings, "system:public-info-viewer"))["subjects"].size(), 2u);
  // The bootstrap roles aggregate into admin/edit/view as in a cluster.
  std::vector<const json*> ptrs;
  for (const json& r : roles) ptrs.push_back(&r);
  auto agg = AggregateClusterRoles(ptrs);
  PolicyRule secrets_get = {{"get"}, {""}, {"secrets"}, {}, {}};
  std::vector<PolicyRule> view = ParseRules(agg["view"]), edit = ParseRules(agg["edit"]);
  auto allows = [](const std::vector<PolicyRule>& rules, const char* verb, const char* res,
                   const char* group = "") {
    UserInfo u;
    Attributes a;
    a.user = &u;
    a.verb = verb;
    a.resource_request = true;
    a.resource = res;
    a.api_group = group;
    for (const PolicyRule& r : rules) {
      if (RuleAllows(a, r)) return true;
    }
    return false;
  };
  EXPECT_FALSE(allows(view, "get", "secrets"));
  EXPECT_TRUE(allows(view, "list", "configmaps"));
  EXPECT_TRUE(allows(edit, "get", "secrets"));
  EXPECT_TRUE(allows(edit, "create", "serviceaccounts/token"));
  EXPECT_FALSE(allows(edit, "create", "rolebindings", "rbac.authorization.k8s.io"));
  EXPECT_TRUE(
      allows(ParseRules(agg["admin"]), "create", "rolebindings", "rbac.authorization.k8s.io"));
}

TEST(BootstrapPolicy, ReconcileKeepsChangesAndRestoresWhatIsMissing) {
  json expected = *Find(BootstrapClusterRoles(), "system:basic-user");
  EXPECT_EQ(ReconcileClusterRole(nullptr, expected).op, ReconcileOp::kCreate);
  EXPECT_EQ(ReconcileClusterRole(&expected, expected).op, ReconcileOp::kNone);
  json edited = expected;
  edited["rules"].erase(1);  // a rule removed
  edited["rules"].push_back({{"apiGroups", {"x"}}, {"resources", {"y"}}, {"verbs", {"get"}}});
  edited["metadata"]["labels"]["mine"] = "yes";
  Reconciled r = ReconcileClusterRole(&edited, expected);
  EXPECT_EQ(r.op, ReconcileOp::kUpdate);
  EXPECT_EQ(r.object["metadata"]["labels"]["mine"], "yes");  // user changes kept
  EXPECT_EQ(r.object["rules"].size(), 3u);                   // missing rule back, extra kept
  edited["metadata"]["annotations"]["rbac.authorization.kubernetes.io/autoupdate"] = "false";
  r = ReconcileClusterRole(&edited, expected);
  EXPECT_EQ(r.op, ReconcileOp::kNone);
  EXPECT_TRUE(r.opted_out);

  json binding = *Find(BootstrapClusterRoleBindings(), "system:discovery");
  json changed = binding;
  changed["subjects"] = json::array();
  EXPECT_EQ(ReconcileClusterRoleBinding(&changed, binding).op, ReconcileOp::kUpdate);
  changed["roleRef"]["name"] = "cluster-admin";
  EXPECT_EQ(ReconcileClusterRoleBinding(&changed, binding).op, ReconcileOp::kRecreate);
}

}  // namespace
}  // namespace ferry::auth
