#include "api/manifest.h"

#include <gtest/gtest.h>

namespace ferry::api {
namespace {

TEST(ManifestTest, MultiDocYamlWithTypes) {
  auto docs = ParseManifests(R"(
apiVersion: v1
kind: Secret
stringData:
  quoted: "0"
  plain: 0
  flag: true
  text: yes-no
  f: 1.5
  n: ~
---
---
kind: ServiceAccount
)");
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  ASSERT_EQ(docs->size(), 2u);
  const auto& sd = (*docs)[0]["stringData"];
  EXPECT_EQ(sd["quoted"], "0");
  EXPECT_EQ(sd["plain"], 0);
  EXPECT_EQ(sd["flag"], true);
  EXPECT_EQ(sd["text"], "yes-no");
  EXPECT_EQ(sd["f"], 1.5);
  EXPECT_TRUE(sd["n"].is_null());
  EXPECT_EQ((*docs)[1]["kind"], "ServiceAccount");
}

TEST(ManifestTest, JsonAndListAndErrors) {
  auto one = ParseOneManifest(R"({"kind":"X"})");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ((*one)["kind"], "X");
  auto list = ParseManifests(R"({"kind":"List","items":[{"kind":"A"},{"kind":"B"}]})");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
  EXPECT_FALSE(ParseManifests("a: [1, 2\nb: c").ok());
  EXPECT_FALSE(ParseOneManifest("a: 1\n---\nb: 2\n").ok());
}

}  // namespace
}  // namespace ferry::api

// yaml-cpp 0.7 loops forever on a root flow collection followed by ','; found
// by api_patch_fuzz (tests/fuzz/patch/regress-root-flow-comma).
TEST(ManifestTest, RootFlowFollowedByCommaIsAnErrorNotAHang) {
  for (const char* text : {"{\"a\":1},", "{},{}", "[1],2]", "--- {a: 1},", "a: 1\n--- [1],",
                           "{\"a\": \"},\"}\n  ,", "# c\n{\"a\":1} # x\n,"}) {
    auto docs = ferry::api::ParseManifests(text);
    ASSERT_FALSE(docs.ok()) << text;
    EXPECT_NE(docs.status().message().find("unexpected ','"), std::string::npos)
        << docs.status().message();
  }
  // Commas and brackets that are not after a root flow collection still parse.
  for (const char* text : {"image: foo[1],bar\n", "k: {a: 1}\nl: [1, 2]\n", "{a: 1}\n---\nb: 2\n",
                           "- [1, 2]\n- {a: b}\n"}) {
    EXPECT_TRUE(ferry::api::ParseManifests(text).ok()) << text;
  }
}
