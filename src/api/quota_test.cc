// ResourceQuota object counts through the ResourceClient (ObjectService), over
// the in-memory store: the 403 at the limit, status.used, scopes, quantities.
#include "api/quota.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/api_server.h"
#include "api/resource_client.h"

namespace ferry::api {
namespace {

using nlohmann::json;

class QuotaTest : public ::testing::Test {
 protected:
  QuotaTest() : store_(store::ResourceStore::InMemory()), server_(store_.get(), nullptr, {}) {}
  ResourceClient& c() { return server_.client(); }

  static json Quota(json hard, json extra_spec = json::object()) {
    json spec = std::move(extra_spec);
    spec["hard"] = std::move(hard);
    return {{"apiVersion", "v1"},
            {"kind", "ResourceQuota"},
            {"metadata", {{"name", "kf-resource-quota"}, {"namespace", "default"}}},
            {"spec", spec}};
  }
  static json Isvc(const std::string& name) {
    return {{"apiVersion", "serving.kserve.io/v1beta1"},
            {"kind", "InferenceService"},
            {"metadata", {{"name", name}, {"namespace", "default"}}},
            {"spec",
             {{"predictor",
               {{"model", {{"modelFormat", {{"name", "sklearn"}}}, {"storageUri", "s3://a"}}}}}}}};
  }
  static json ConfigMap(const std::string& name) {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"namespace", "default"}}}};
  }
  static json Pod(const std::string& name, const std::string& phase) {
    return {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", name}, {"namespace", "default"}}},
            {"spec", {{"containers", json::array({{{"name", "c"}, {"image", "x"}}})}}},
            {"status", {{"phase", phase}}}};
  }
  json Status() {
    auto q = c().Get("v1", "ResourceQuota", "default", "kf-resource-quota");
    return q.ok() ? (*q)["status"] : json();
  }

  std::unique_ptr<store::ResourceStore> store_;
  ApiServer server_;
};

TEST_F(QuotaTest, CountOfACustomResourceRefusesTheCreateOverTheLimit) {
  ASSERT_TRUE(
      c().Create(Quota({{"count/inferenceservices.serving.kserve.io", "2"}, {"cpu", "4"}})).ok());
  ASSERT_TRUE(c().Create(Isvc("a")).ok());
  ASSERT_TRUE(c().Create(Isvc("b")).ok());
  auto third = c().Create(Isvc("c"));
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(third.status().message(),
            "inferenceservices.serving.kserve.io \"c\" is forbidden: exceeded quota: "
            "kf-resource-quota, requested: count/inferenceservices.serving.kserve.io=1, used: "
            "count/inferenceservices.serving.kserve.io=2, limited: "
            "count/inferenceservices.serving.kserve.io=2");
  EXPECT_FALSE(c().Get("serving.kserve.io/v1beta1", "InferenceService", "default", "c").ok());
  EXPECT_EQ(Status()["used"],
            (json{{"count/inferenceservices.serving.kserve.io", "2"}, {"cpu", "0"}}));
  EXPECT_EQ(Status()["hard"], Quota({{"count/inferenceservices.serving.kserve.io", "2"},
                                     {"cpu", "4"}})["spec"]["hard"]);

  // A delete frees a slot and lowers status.used.
  ASSERT_TRUE(c().Delete("serving.kserve.io/v1beta1", "InferenceService", "default", "a").ok());
  EXPECT_EQ(Status()["used"]["count/inferenceservices.serving.kserve.io"], "1");
  EXPECT_TRUE(c().Create(Isvc("c")).ok());
  // Raising the limit shows at once.
  json raised = *c().Get("v1", "ResourceQuota", "default", "kf-resource-quota");
  raised["spec"]["hard"]["count/inferenceservices.serving.kserve.io"] = "3";
  ASSERT_TRUE(c().Update(raised).ok());
  EXPECT_EQ(Status()["hard"]["count/inferenceservices.serving.kserve.io"], "3");
  EXPECT_TRUE(c().Create(Isvc("d")).ok());
}

TEST_F(QuotaTest, CoreNamesAndOtherNamespacesAndKinds) {
  ASSERT_TRUE(c().Create(Quota({{"configmaps", "1"}})).ok());
  ASSERT_TRUE(c().Create(ConfigMap("one")).ok());
  auto two = c().Create(ConfigMap("two"));
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.status().message(),
            "configmaps \"two\" is forbidden: exceeded quota: kf-resource-quota, requested: "
            "configmaps=1, used: configmaps=1, limited: configmaps=1");
  // Other kinds, and the same kind in another namespace, are not counted.
  EXPECT_TRUE(c().Create(Isvc("a")).ok());
  json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "other"}}}};
  ASSERT_TRUE(c().Create(ns).ok());
  json elsewhere = ConfigMap("two");
  elsewhere["metadata"]["namespace"] = "other";
  EXPECT_TRUE(c().Create(elsewhere).ok());
}

TEST_F(QuotaTest, PodsCountWhileNotFinishedAndScopesMatchFerryPods) {
  ASSERT_TRUE(c().Create(Quota({{"pods", "1"}}, {{"scopes", {"BestEffort"}}})).ok());
  ASSERT_TRUE(c().Create(Pod("done", "Succeeded")).ok());
  ASSERT_TRUE(c().Create(Pod("running", "Running")).ok());
  EXPECT_EQ(Status()["used"]["pods"], "1");
  EXPECT_EQ(c().Create(Pod("more", "Pending")).status().code(), StatusCode::kPermissionDenied);
  // A finished pod stops counting.
  json finished = *c().Get("v1", "Pod", "default", "running");
  finished["status"]["phase"] = "Failed";
  ASSERT_TRUE(c().UpdateStatus(finished).ok());
  EXPECT_EQ(Status()["used"]["pods"], "0");
  EXPECT_TRUE(c().Create(Pod("more", "Pending")).ok());
}

TEST_F(QuotaTest, ScopesFerryPodsAreNotInDoNotCountThem) {
  // Ferry's pods declare no resources and no deadline: NotBestEffort and
  // Terminating quotas do not cover them, and scopes never cover other kinds.
  ASSERT_TRUE(
      c().Create(Quota({{"pods", "0"}, {"configmaps", "0"}}, {{"scopes", {"NotBestEffort"}}}))
          .ok());
  json terminating = Quota({{"count/pods", "0"}}, {{"scopes", {"Terminating"}}});
  terminating["metadata"]["name"] = "terminating";
  ASSERT_TRUE(c().Create(terminating).ok());
  EXPECT_TRUE(c().Create(Pod("p", "Pending")).ok());
  EXPECT_TRUE(c().Create(ConfigMap("cm")).ok());
  json best_effort = Quota({{"count/pods", "1"}}, {{"scopes", {"BestEffort", "NotTerminating"}}});
  best_effort["metadata"]["name"] = "best-effort";
  ASSERT_TRUE(c().Create(best_effort).ok());
  auto over = c().Create(Pod("q", "Pending"));
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.status().message().find("exceeded quota: best-effort, requested: count/pods=1"),
            std::string::npos)
      << over.status().message();
}

TEST_F(QuotaTest, BadQuantitiesAreRefused) {
  auto bad = c().Create(Quota({{"pods", "lots"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("quantities must match the regular expression"),
            std::string::npos)
      << bad.status().message();
  auto huge = c().Create(Quota({{"pods", std::string(6000, '9')}}));
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().code(), StatusCode::kInvalidArgument);
  auto negative = c().Create(Quota({{"pods", "-1"}}));
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find(
                "spec.hard[pods]: Invalid value: \"-1\": must be greater than or equal to 0"),
            std::string::npos)
      << negative.status().message();
}

TEST(QuantityTest, ParsesKubernetesQuantities) {
  EXPECT_EQ(ParseQuantity("2"), 2.0L);
  EXPECT_EQ(ParseQuantity("500m"), 0.5L);
  EXPECT_EQ(ParseQuantity("1Gi"), 1024.0L * 1024 * 1024);
  EXPECT_EQ(ParseQuantity("1k"), 1000.0L);
  EXPECT_EQ(ParseQuantity("1e3"), 1000.0L);
  EXPECT_EQ(ParseQuantity("+1.5"), 1.5L);
  for (const char* bad : {"", "m", "1x", "1..2", "1Gii", "abc", "1e", "1e99999", "1e9999"}) {
    EXPECT_FALSE(ParseQuantity(bad).has_value()) << bad;
  }
  // Too large for a long double: not a quantity (and no exception).
  EXPECT_FALSE(ParseQuantity(std::string(6000, '9')).has_value());
}

}  // namespace
}  // namespace ferry::api
