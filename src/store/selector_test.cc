#include "store/selector.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ferry::store {
namespace {

using nlohmann::json;

TEST(LabelSelectorTest, Operators) {
  json labels = {{"app", "iris"}, {"tier", "web"}};
  auto m = [&](const char* s) { return LabelSelector::Parse(s)->Matches(labels); };
  EXPECT_TRUE(m(""));
  EXPECT_TRUE(m("app=iris"));
  EXPECT_TRUE(m("app==iris,tier=web"));
  EXPECT_FALSE(m("app=wine"));
  EXPECT_TRUE(m("app!=wine"));
  EXPECT_TRUE(m("tier in (db,web)"));
  EXPECT_FALSE(m("tier notin (db,web)"));
  EXPECT_TRUE(m("app"));
  EXPECT_FALSE(m("!app"));
  EXPECT_TRUE(m("!missing"));
  EXPECT_FALSE(LabelSelector::Parse("x in a").ok());
}

TEST(FieldSelectorTest, NestedPaths) {
  json ev = {{"metadata", {{"name", "e1"}}},
             {"involvedObject", {{"uid", "u1"}, {"kind", "InferenceService"}}}};
  auto m = [&](const char* s) { return FieldSelector::Parse(s)->Matches(ev); };
  EXPECT_TRUE(m("involvedObject.uid=u1,involvedObject.kind=InferenceService"));
  EXPECT_FALSE(m("involvedObject.uid=u2"));
  EXPECT_TRUE(m("metadata.name==e1"));
  EXPECT_TRUE(m("metadata.name!=e2"));
  EXPECT_FALSE(m("metadata.name!=e1"));
  EXPECT_FALSE(FieldSelector::Parse("nonsense").ok());
  EXPECT_EQ(FieldSelector::Parse("metadata.name=x")->RequiredValue("metadata.name"), "x");
}

TEST(FieldSelectorTest, MapLabelsSelectsTheStoredPathAndRefusesOthers) {
  json ev = {{"involvedObject", {{"name", "iris"}}}, {"regarding", {{"name", "other"}}}};
  std::map<std::string, std::string, std::less<>> labels = {
      {"regarding.name", "involvedObject.name"}};
  auto sel = FieldSelector::Parse("regarding.name=iris");
  ASSERT_TRUE(sel.ok());
  EXPECT_FALSE(sel->Matches(ev));  // unmapped: the literal path
  ASSERT_TRUE(sel->MapLabels(labels).ok());
  EXPECT_TRUE(sel->Matches(ev));
  auto bad = FieldSelector::Parse("involvedObject.name=iris");
  Status s = bad->MapLabels(labels);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "field label not supported: involvedObject.name");
}

}  // namespace
}  // namespace ferry::store
