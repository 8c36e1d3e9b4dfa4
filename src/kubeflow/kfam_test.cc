#include "kubeflow/kfam.h"

#include <gtest/gtest.h>

namespace ferry::kubeflow {
namespace {

using nlohmann::json;

std::string NameFor(const std::string& email, const std::string& role = "edit") {
  Binding b;
  b.user = email;
  b.ns = "team";
  b.role = role;
  return BindingName(b);
}

// KFAM's getBindingName: runs of non-alphanumerics (also across the joins)
// become one '-', then everything is lower case.
TEST(KfamTest, BindingNameManglesAsKfam) {
  EXPECT_EQ(NameFor("user@example.com"), "user-user-example-com-clusterrole-edit");
  EXPECT_EQ(NameFor("Jane.Doe+ML@Example.COM", "view"),
            "user-jane-doe-ml-example-com-clusterrole-view");
  EXPECT_EQ(NameFor("a..b@@c"), "user-a-b-c-clusterrole-edit");
  EXPECT_EQ(NameFor("_x@y_"), "user-x-y-clusterrole-edit");
  EXPECT_EQ(NameFor("\xc3\xbcn\xc3\xaf@x.io"), "user-n-x-io-clusterrole-edit");  // "ünï@x.io"
  EXPECT_EQ(NameFor("bob_smith-1@ex-ample.org"), "user-bob-smith-1-ex-ample-org-clusterrole-edit");
}

TEST(KfamTest, ContributorObjectsCarryKfamAnnotations) {
  auto b = ParseBinding(json::parse(R"({"user":{"kind":"User","name":"Bob@Example.com"},
      "referredNamespace":"team","roleRef":{"kind":"ClusterRole","name":"view"}})"));
  ASSERT_TRUE(b.ok()) << b.status().message();
  json rb = ContributorRoleBinding(*b);
  EXPECT_EQ(rb["metadata"]["name"], "user-bob-example-com-clusterrole-view");
  EXPECT_EQ(rb["metadata"]["annotations"], (json{{"user", "Bob@Example.com"}, {"role", "view"}}));
  EXPECT_EQ(rb["roleRef"]["name"], "kubeflow-view");
  EXPECT_EQ(rb["subjects"][0]["name"], "Bob@Example.com");
  json ap = ContributorPolicy(*b);
  EXPECT_EQ(ap["metadata"]["name"], rb["metadata"]["name"]);
  EXPECT_FALSE(ap["spec"].contains("action"));
  EXPECT_EQ(ap["spec"]["rules"][0]["when"][0]["values"][0], "Bob@Example.com");
}

TEST(KfamTest, ParseRefusesWhatKfamCannotBind) {
  EXPECT_FALSE(ParseBinding(json::parse(R"({"user":{"name":"a@b"},"referredNamespace":"t",
      "roleRef":{"name":"admin"}})")).ok());
  EXPECT_FALSE(ParseBinding(json::parse(R"({"user":{"name":"a@b"},"roleRef":{"name":"edit"}})")).ok());
  EXPECT_FALSE(ParseBinding(json::parse(R"({"referredNamespace":"t","roleRef":{"name":"edit"}})")).ok());
  EXPECT_FALSE(ParseBinding(json::parse(R"({"user":{"kind":"Group","name":"g"},
      "referredNamespace":"t","roleRef":{"name":"edit"}})")).ok());
  EXPECT_FALSE(ParseBinding(json::parse("[]")).ok());
}

TEST(KfamTest, ListAnswersAnnotatedBindingsInKfamShape) {
  Binding b;
  b.user = "c@x.io";
  b.ns = "team";
  b.role = "edit";
  json items = json::array({ContributorRoleBinding(b)});
  items.push_back({{"metadata", {{"name", "plain"}}},
                   {"roleRef", {{"kind", "ClusterRole"}, {"name", "edit"}}},
                   {"subjects", json::array({{{"kind", "User"}, {"name", "z"}}})}});
  json all = ListBindings(items, "team", "", "");
  ASSERT_EQ(all["bindings"].size(), 1u);
  EXPECT_EQ(all["bindings"][0], BindingJson(b));
  EXPECT_TRUE(ListBindings(items, "team", "other@x.io", "")["bindings"].empty());
  EXPECT_TRUE(ListBindings(items, "team", "", "view")["bindings"].empty());
}

}  // namespace
}  // namespace ferry::kubeflow
