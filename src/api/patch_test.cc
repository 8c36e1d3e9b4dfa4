#include "api/patch.h"

#include <gtest/gtest.h>

namespace ferry::api {
namespace {

using nlohmann::json;

json Apply(PatchType t, const json& cur, const std::string& patch) {
  auto r = ApplyPatch(t, cur, patch);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : json();
}

TEST(PatchTest, MergePatchRemovesNulls) {
  json cur = {{"spec", {{"a", 1}, {"b", 2}}}};
  EXPECT_EQ(Apply(PatchType::kMerge, cur, R"({"spec":{"a":null,"c":3}})"),
            json({{"spec", {{"b", 2}, {"c", 3}}}}));
}

TEST(PatchTest, JsonPatchAndErrors) {
  json cur = {{"spec", {{"ports", {{{"port", 80}}}}}}};
  EXPECT_EQ(Apply(PatchType::kJson, cur,
                  R"([{"op":"replace","path":"/spec/ports/0/port","value":81}])")["spec"]["ports"]
                                                                                 [0]["port"],
            81);
  EXPECT_FALSE(
      ApplyPatch(PatchType::kJson, cur, R"([{"op":"test","path":"/spec","value":1}])").ok());
  EXPECT_FALSE(ApplyPatch(PatchType::kJson, cur, R"({"op":"add"})").ok());
  EXPECT_FALSE(ApplyPatch(PatchType::kMerge, cur, "not json").ok());
}

TEST(StrategicMergeTest, MergesListsByKey) {
  json sa = {{"secrets", {{{"name", "a"}}}}};
  json out = StrategicMerge(sa, {{"secrets", {{{"name", "b"}}}}});
  EXPECT_EQ(out["secrets"], json({{{"name", "a"}}, {{"name", "b"}}}));
  json svc = {{"spec", {{"ports", {{{"port", 80}, {"name", "http"}}, {{"port", 443}}}}}}};
  out = StrategicMerge(svc, {{"spec", {{"ports", {{{"port", 443}, {"name", "https"}}}}}}});
  EXPECT_EQ(out["spec"]["ports"].size(), 2u);
  EXPECT_EQ(out["spec"]["ports"][1]["name"], "https");
}

TEST(StrategicMergeTest, Directives) {
  json sa = {{"secrets", {{{"name", "a"}}, {{"name", "b"}}}}, {"x", 1}};
  // $patch: delete in a list element removes it by key.
  json out = StrategicMerge(sa, json::parse(R"({"secrets":[{"name":"a","$patch":"delete"}]})"));
  EXPECT_EQ(out["secrets"], json({{{"name", "b"}}}));
  // $setElementOrder reorders and is stripped.
  out = StrategicMerge(
      sa,
      json::parse(
          R"({"$setElementOrder/secrets":[{"name":"b"},{"name":"a"}],"secrets":[{"name":"a","k":1}]})"));
  EXPECT_EQ(out["secrets"][0]["name"], "b");
  EXPECT_EQ(out["secrets"][1]["k"], 1);
  EXPECT_FALSE(out.contains("$setElementOrder/secrets"));
  // $patch: replace on a list replaces it.
  out = StrategicMerge(sa, json::parse(R"({"secrets":[{"$patch":"replace"},{"name":"z"}]})"));
  EXPECT_EQ(out["secrets"], json({{{"name", "z"}}}));
  // $retainKeys drops keys not listed.
  out = StrategicMerge(json{{"m", {{"a", 1}, {"b", 2}}}},
                       json::parse(R"({"m":{"$retainKeys":["a"],"a":3}})"));
  EXPECT_EQ(out["m"], json({{"a", 3}}));
  // $deleteFromPrimitiveList removes values; finalizers merge as a set.
  out = StrategicMerge(json{{"metadata", {{"finalizers", {"x", "y"}}}}},
                       json::parse(R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["x"],
                                       "finalizers":["z"]}})"));
  EXPECT_EQ(out["metadata"]["finalizers"], json({"y", "z"}));
  // Unkeyed lists are replaced; null deletes.
  out = StrategicMerge(json{{"args", {"a"}}, {"x", 1}}, json::parse(R"({"args":["b"],"x":null})"));
  EXPECT_EQ(out, json({{"args", {"b"}}}));
}

TEST(StrategicMergeTest, ContainersAndEnvByName) {
  json job = json::parse(R"({"spec":{"template":{"spec":{"containers":[
      {"name":"a","image":"i1","env":[{"name":"X","value":"1"}],"ports":[{"containerPort":80}]}]}}}})");
  json out = StrategicMerge(job, json::parse(R"({"spec":{"template":{"spec":{"containers":[
      {"name":"a","env":[{"name":"Y","value":"2"}],"ports":[{"containerPort":80,"name":"http"}]}]}}}})"));
  const json& c = out["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["image"], "i1");
  EXPECT_EQ(c["env"].size(), 2u);
  EXPECT_EQ(c["ports"], json::parse(R"([{"containerPort":80,"name":"http"}])"));
}

TEST(PatchTest, ContentTypes) {
  EXPECT_EQ(PatchTypeFromContentType("application/merge-patch+json"), PatchType::kMerge);
  EXPECT_EQ(PatchTypeFromContentType("application/json-patch+json; charset=utf-8"),
            PatchType::kJson);
  EXPECT_EQ(PatchTypeFromContentType("application/strategic-merge-patch+json"),
            PatchType::kStrategic);
  EXPECT_EQ(PatchTypeFromContentType("application/apply-patch+yaml"), PatchType::kApply);
  EXPECT_EQ(PatchTypeFromContentType("text/plain"), PatchType::kUnknown);
}

}  // namespace
}  // namespace ferry::api
