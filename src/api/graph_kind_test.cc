#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "api/kinds.h"
#include "api/yaml_json.h"

namespace ferry::api {
namespace {

using nlohmann::json;

json Crd(const std::string& release) {
  std::ifstream in(std::string(FERRY_SOURCE_DIR) + "/tests/fixtures/kserve/" + release +
                   "/crd/serving.kserve.io_inferencegraphs.yaml");
  std::stringstream text;
  text << in.rdbuf();
  auto docs = YamlToJson(text.str());
  EXPECT_TRUE(docs.ok() && docs->size() == 1) << release;
  return docs.ok() && !docs->empty() ? (*docs)[0] : json();
}

TEST(InferenceGraphKind, MatchesThePinnedCrds) {
  const KindInfo* k = FindKindByApiVersion("serving.kserve.io/v1alpha1", "InferenceGraph");
  ASSERT_NE(k, nullptr);
  std::set<std::string> table;
  for (const auto& f : InferenceGraphSpecFields()) table.insert(f.name);
  std::set<std::string> all;
  for (const char* release : {"v0.14.0", "v0.15.0"}) {
    json crd = Crd(release);
    EXPECT_EQ(crd["spec"]["names"]["plural"], k->plural);
    EXPECT_EQ(crd["spec"]["names"]["shortNames"], json(k->short_names));
    const json& v = crd["spec"]["versions"][0];
    EXPECT_EQ(v["name"], k->versions[0]);
    std::vector<std::string> columns;
    for (const json& c : v["additionalPrinterColumns"]) {
      if (c["name"] != "Age") columns.push_back(c["name"]);
    }
    ASSERT_EQ(columns.size(), k->columns.size());
    for (size_t i = 0; i < columns.size(); ++i) EXPECT_EQ(columns[i], k->columns[i].name);
    // Every spec field is honoured or warned about; a field added later fails here.
    for (const auto& [name, _] :
         v["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"].items()) {
      EXPECT_TRUE(table.count(name)) << release << ": spec." << name << " is not classified";
      all.insert(name);
    }
  }
  for (const std::string& name : table) EXPECT_TRUE(all.count(name)) << name << " is in no CRD";
}

TEST(InferenceGraphKind, AdmissionNamesTheField) {
  json ig = json::parse(R"({"metadata":{"name":"Bad_Name","namespace":"ns"},"spec":{"nodes":{
      "root":{"routerType":"Switch","steps":[{"serviceName":"a","condition":"x.@reverse"}]}}}})");
  auto errs = ValidateInferenceGraph(ig);
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_EQ(errs[0].field, "metadata.name");
  EXPECT_EQ(errs[1].field, "spec.nodes.root.steps[0].condition");
  EXPECT_NE(errs[1].message.find("x.@reverse"), std::string::npos);
  ig["metadata"]["name"] = "ok";
  ig["spec"]["nodes"]["root"]["steps"][0]["condition"] = "x";
  EXPECT_TRUE(ValidateInferenceGraph(ig).empty());
  ig["spec"]["minReplicas"] = 2;
  auto warnings = InferenceGraphWarnings(ig);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("spec.minReplicas has no effect"), std::string::npos);
}

}  // namespace
}  // namespace ferry::api
