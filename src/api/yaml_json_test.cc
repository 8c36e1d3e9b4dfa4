#include "api/yaml_json.h"

#include <gtest/gtest.h>

#include <string>

namespace ferry::api {
namespace {

using nlohmann::json;

json One(const std::string& text) {
  auto docs = YamlToJson(text);
  EXPECT_TRUE(docs.ok()) << docs.status().message();
  if (!docs.ok() || docs->size() != 1) return json("<not one document>");
  return (*docs)[0];
}

TEST(YamlToJson, CoreSchemaScalarsAndKeys) {
  EXPECT_EQ(One("a: 1\nb: -2.5\nc: true\nd: ~\ne: '7'\nf: \"x\"\ng: hello\n123: k\n"),
            json::parse(R"({"a":1,"b":-2.5,"c":true,"d":null,"e":"7","f":"x","g":"hello",
                           "123":"k"})"));
  EXPECT_EQ(One("- [1, {a: b}]\n- !!str 5\n"), json::parse(R"([[1,{"a":"b"}],"5"])"));
}

TEST(YamlToJson, DocumentsSkipNullOnes) {
  auto docs = YamlToJson("a: 1\n---\n---\nb: 2\n...\n");
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[1], json::parse(R"({"b":2})"));
}

TEST(YamlToJson, AliasesExpandAndWorkAsKeys) {
  EXPECT_EQ(One("base: &b {image: x, port: 8080}\ncopy: *b\nk: &k name\n*k : v\n"),
            json::parse(R"({"base":{"image":"x","port":8080},"copy":{"image":"x","port":8080},
                           "k":"name","name":"v"})"));
}

// A "billion laughs" document: nine levels of ten aliases would expand to
// 10^9 values; it is refused while counting, before it is built.
TEST(YamlToJson, AliasBombIsRefused) {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    std::string p = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + p;
    for (int j = 1; j < 10; ++j) text += ", " + p;
    text += "]\n";
  }
  auto docs = YamlToJson(text);
  ASSERT_FALSE(docs.ok());
  EXPECT_NE(docs.status().message().find("expands to more than 100000 values"), std::string::npos)
      << docs.status().message();
}

TEST(YamlToJson, DepthAndSelfReferenceAreRefused) {
  std::string deep(300, '[');
  auto d = YamlToJson(deep + std::string(300, ']'));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("nests deeper than 200 levels"), std::string::npos);
  auto self = YamlToJson("a: &x [1, *x]\n");
  EXPECT_FALSE(self.ok());
  auto key = YamlToJson("? [1, 2]\n: v\n");
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.status().message().find("not a plain string"), std::string::npos);
}

// Found by api_manifest_fuzz (tests/fuzz/manifest/regress-endless-documents):
// yaml-cpp reported empty documents forever and LoadAll allocated until the
// process ran out of memory.
TEST(YamlToJson, EndlessDocumentsAreAnError) {
  std::string text(",a: x\xd1\xff\xff\xff\xff\xdf\xa4\x45\xba\xba\xba\xba\xba\xba\xba\xba*h]\n",
                   26);
  auto docs = YamlToJson(text);
  EXPECT_FALSE(docs.ok());
}

}  // namespace
}  // namespace ferry::api
