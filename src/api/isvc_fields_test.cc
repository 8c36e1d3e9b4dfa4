#include "api/isvc_fields.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "api/yaml_json.h"

namespace ferry::api {
namespace {

using nlohmann::json;

// Every field path below `spec` the schema allows (array items share their
// array's path; a map's values share the map's path).
void SchemaPaths(const json& schema, const std::string& path, std::set<std::string>* out) {
  out->insert(path);
  if (auto props = schema.find("properties"); props != schema.end()) {
    for (const auto& [key, sub] : props->items()) SchemaPaths(sub, path + "." + key, out);
  }
  if (auto items = schema.find("items"); items != schema.end() && items->is_object()) {
    SchemaPaths(*items, path, out);
  }
  if (auto extra = schema.find("additionalProperties");
      extra != schema.end() && extra->is_object()) {
    SchemaPaths(*extra, path, out);
  }
}

std::set<std::string> CrdSpecPaths(const std::string& release) {
  std::string file = std::string(FERRY_SOURCE_DIR) + "/tests/fixtures/kserve/" + release +
                     "/crd/serving.kserve.io_inferenceservices.yaml";
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  auto docs = YamlToJson(text.str());
  EXPECT_TRUE(docs.ok()) << file << ": " << docs.status().message();
  std::set<std::string> paths;
  if (!docs.ok()) return paths;
  for (const json& doc : *docs) {
    for (const json& v : doc["spec"]["versions"]) {
      SchemaPaths(v["schema"]["openAPIV3Schema"]["properties"]["spec"], "spec", &paths);
    }
  }
  return paths;
}

bool Decided(const std::string& path) {
  const FieldRule* r = NearestFieldRule(path);
  return r != nullptr && (r->use != FieldUse::kStructure || r->path == path);
}

TEST(IsvcFields, EveryFieldOfThePinnedCrdsIsClassified) {
  std::set<std::string> all;
  for (const char* release : {"v0.13.0", "v0.14.0", "v0.15.0"}) {
    std::set<std::string> paths = CrdSpecPaths(release);
    // The fixture is KServe's full CRD: thousands of paths, the predictor's among them.
    EXPECT_GT(paths.size(), 1000u) << release;
    EXPECT_TRUE(paths.count("spec.predictor.model.storageUri")) << release;
    for (const std::string& p : paths) {
      EXPECT_TRUE(Decided(p)) << release << ": " << p
                              << " has no rule in api/isvc_fields.cc: say whether Ferry "
                                 "honours it, refuses it or accepts it without effect";
    }
    all.insert(paths.begin(), paths.end());
  }
  // And the table names no field KServe does not have (a typo would classify nothing).
  // (storageUris: newer than the pinned releases, refused explicitly.)
  for (const FieldRule& r : InferenceServiceFieldRules()) {
    if (r.path == "spec.predictor.model.storageUris") continue;
    EXPECT_TRUE(all.count(r.path)) << r.path << " is in no pinned CRD";
  }
}

TEST(IsvcFields, RulesBelowACoveringRuleWouldNeverBeReached) {
  for (const FieldRule& r : InferenceServiceFieldRules()) {
    size_t dot = r.path.rfind('.');
    if (dot == std::string::npos) continue;
    const FieldRule* parent = NearestFieldRule(r.path.substr(0, dot));
    ASSERT_NE(parent, nullptr) << r.path;
    EXPECT_EQ(parent->use, FieldUse::kStructure) << r.path << " under " << parent->path;
    if (r.use != FieldUse::kHonoured && r.use != FieldUse::kStructure) {
      EXPECT_FALSE(r.why.empty()) << r.path;
    }
  }
}

TEST(IsvcFields, ClassifiesAnObject) {
  json isvc = json::parse(R"({"metadata":{"name":"m"},"spec":{
    "transformer":{"containers":[{"image":"t"}]},
    "predictor":{"minReplicas":3,"maxReplicas":1,"nodeSelector":{"gpu":"yes"},
      "tolerations":[{"key":"k"}],"containerConcurrency":2,"serviceAccountName":"sa",
      "model":{"modelFormat":{"name":"sklearn"},"storageUri":"s3://b/m",
               "resources":{"limits":{"cpu":"2"}},"image":"custom"},
      "unknownField":1}}})");
  IsvcFieldReport report = ClassifyInferenceServiceFields(isvc);
  std::vector<std::string> refused, no_effect;
  for (const auto& f : report.refused) refused.push_back(f.path);
  for (const auto& f : report.no_effect) no_effect.push_back(f.path);
  std::sort(refused.begin(), refused.end());
  std::sort(no_effect.begin(), no_effect.end());
  EXPECT_EQ(refused, (std::vector<std::string>{"spec.predictor.model.image", "spec.transformer"}));
  // maxReplicas: 1 is what one machine does anyway.
  EXPECT_EQ(no_effect, (std::vector<std::string>{
                           "spec.predictor.minReplicas", "spec.predictor.model.resources",
                           "spec.predictor.nodeSelector", "spec.predictor.tolerations"}));
  EXPECT_NE(FirstRefusal(report).find("spec."), std::string::npos);
  for (const std::string& m : NoEffectMessages(report)) {
    EXPECT_NE(m.find(": has no effect in Ferry: "), std::string::npos) << m;
  }
}

TEST(IsvcFields, TheTutorialsServiceHasNothingToSay) {
  json isvc = json::parse(R"({"spec":{"predictor":{"serviceAccountName":"sa",
    "model":{"modelFormat":{"name":"mlflow"},"protocolVersion":"v2",
             "storageUri":"s3://mlflow/1/x/artifacts/iris_model"}}}})");
  IsvcFieldReport report = ClassifyInferenceServiceFields(isvc);
  EXPECT_TRUE(report.refused.empty());
  EXPECT_TRUE(report.no_effect.empty());
}

}  // namespace
}  // namespace ferry::api
