#include "controller/isvc_spec.h"
#include "controller/storage_admission.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ferry::controller {
namespace {

using nlohmann::json;

json Isvc(json predictor, json annotations = json::object()) {
  return {{"metadata", {{"name", "m"}, {"annotations", annotations}}},
          {"spec", {{"predictor", predictor}}}};
}

json Model(const std::string& uri) {
  return {{"modelFormat", {{"name", "sklearn"}}}, {"storageUri", uri}};
}

TEST(ParseDurationMs, KnativeSpellings) {
  EXPECT_EQ(ParseDurationMs("30s"), 30000);
  EXPECT_EQ(ParseDurationMs("1m30s"), 90000);
  EXPECT_EQ(ParseDurationMs("500ms"), 500);
  EXPECT_EQ(ParseDurationMs("1.5s"), 1500);
  EXPECT_EQ(ParseDurationMs("2h"), 7200000);
  EXPECT_EQ(ParseDurationMs("0s"), 0);
  EXPECT_EQ(ParseDurationMs(""), -1);
  EXPECT_EQ(ParseDurationMs("30"), -1);
  EXPECT_EQ(ParseDurationMs("10 minutes"), -1);
}

TEST(ParsePredictorSpec, TrafficAndScaleFieldsDoNotMakeARevision) {
  auto a = ParsePredictorSpec(Isvc({{"model", Model("s3://b/a")}}));
  auto b = ParsePredictorSpec(
      Isvc({{"model", Model("s3://b/a")}, {"canaryTrafficPercent", 10}, {"minReplicas", 0}}));
  auto c = ParsePredictorSpec(Isvc({{"model", Model("s3://b/c")}}));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->revision_hash, b->revision_hash);
  EXPECT_NE(a->revision_hash, c->revision_hash);
  EXPECT_EQ(b->canary_traffic_percent, 10);
  EXPECT_EQ(b->min_replicas, 0);
  EXPECT_EQ(a->scale_to_zero_ms, -1);
}

TEST(ParsePredictorSpec, RetentionAnnotation) {
  auto s = ParsePredictorSpec(
      Isvc({{"model", Model("s3://b/a")}, {"minReplicas", 0}},
           {{"autoscaling.knative.dev/scale-to-zero-pod-retention-period", "1m5s"}}));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->scale_to_zero_ms, 65000);
}

}  // namespace
}  // namespace ferry::controller

namespace ferry::controller {
namespace {

TEST(ParsePredictorSpec, TimeoutSecondsLikeKnative) {
  using nlohmann::json;
  json model = {{"modelFormat", {{"name", "sklearn"}}}, {"storageUri", "s3://b/m"}};
  auto isvc = [&](json predictor) {
    return json{{"metadata", {{"name", "m"}}}, {"spec", {{"predictor", predictor}}}};
  };
  auto d = ParsePredictorSpec(isvc({{"model", model}}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->timeout_seconds, 300);  // Knative's default
  auto t = ParsePredictorSpec(isvc({{"model", model}, {"timeout", 5}}));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->timeout_seconds, 5);
  EXPECT_NE(t->revision_hash, d->revision_hash);  // a new revision, as on Knative
  for (json bad : {json(0), json(-1), json("30s"), json(1.5)}) {
    auto b = ParsePredictorSpec(isvc({{"model", model}, {"timeout", bad}}));
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_NE(b.status().message().find("spec.predictor.timeout"), std::string::npos);
  }
}

TEST(AdmitStorageUri, LocalUrisOnlyInsideTheAllowedDirectories) {
  storage::LocalAccess access;
  access.restricted = true;
  access.roots = {"/srv/models"};
  access.denied = {"/srv/ferry"};
  access.pvc_root = "/srv/ferry/pvc";
  for (const char* ok : {"s3://bucket/m", "https://h/m.tar.gz", "file:///srv/models/iris",
                         "/srv/models/iris", "pvc://claim/iris"}) {
    EXPECT_TRUE(AdmitStorageUri(Isvc({{"model", Model(ok)}}), access).ok()) << ok;
  }
  Status st = AdmitStorageUri(Isvc({{"model", Model("file:///etc/ssl")}}), access);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("spec.predictor.model.storageUri: storageUri `file:///etc/ssl`", 0),
            0u)
      << st.message();
  EXPECT_NE(st.message().find("/srv/models"), std::string::npos);
  EXPECT_NE(st.message().find("--allow-local-models"), std::string::npos);
  st = AdmitStorageUri(Isvc({{"sklearn", {{"storageUri", "pvc://claim/../x"}}}}), access);
  EXPECT_EQ(st.message().rfind("spec.predictor.sklearn.storageUri: ", 0), 0u) << st.message();
  access.roots = {"/"};  // even below an allowed root
  st = AdmitStorageUri(Isvc({{"model", Model("file:///srv/ferry/users")}}), access);
  EXPECT_NE(st.message().find("data directory"), std::string::npos) << st.message();
  // Without a predictor the built-in validation answers.
  EXPECT_TRUE(AdmitStorageUri(json::object(), access).ok());
}

TEST(ParsePredictorSpec, ContainerConcurrency) {
  auto none = ParsePredictorSpec(Isvc({{"model", Model("s3://b/a")}}));
  auto four = ParsePredictorSpec(Isvc({{"model", Model("s3://b/a")}, {"containerConcurrency", 4}}));
  ASSERT_TRUE(none.ok() && four.ok());
  EXPECT_EQ(none->container_concurrency, 0);
  EXPECT_EQ(four->container_concurrency, 4);
  auto bad = ParsePredictorSpec(Isvc({{"model", Model("s3://b/a")}, {"containerConcurrency", -1}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("spec.predictor.containerConcurrency"), std::string::npos);
}

TEST(ParsePredictorSpec, ServiceAccountsDeprecatedSpelling) {
  auto spec = ParsePredictorSpec(Isvc({{"model", Model("s3://b/a")}, {"serviceAccount", "sa"}}));
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->service_account, "sa");
}

// An object stored before admission refused it is not served without the part it needs.
TEST(ParsePredictorSpec, RefusesWhatAdmissionRefuses) {
  json isvc = Isvc({{"model", Model("s3://b/a")}});
  isvc["spec"]["transformer"] = {{"containers", json::array({{{"image", "t"}}})}};
  auto spec = ParsePredictorSpec(isvc);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message().rfind("spec.transformer: ", 0), 0u) << spec.status().message();
}

}  // namespace
}  // namespace ferry::controller
