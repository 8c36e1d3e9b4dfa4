#include "protocol/repository_json.h"

#include <gtest/gtest.h>

namespace ferry::protocol {
namespace {

TEST(RepositoryIndexRequest, EmptyBodyAndReadyFlag) {
  EXPECT_FALSE(ParseRepositoryIndexRequest("").value().ready);
  EXPECT_FALSE(ParseRepositoryIndexRequest(" \n").value().ready);
  EXPECT_FALSE(ParseRepositoryIndexRequest("{}").value().ready);
  EXPECT_TRUE(ParseRepositoryIndexRequest(R"({"ready": true})").value().ready);
  EXPECT_FALSE(ParseRepositoryIndexRequest(R"({"ready": false})").value().ready);
}

TEST(RepositoryIndexRequest, RefusesWhatItCannotHonour) {
  struct Case {
    const char* body;
    const char* says;
  } cases[] = {
      {R"({"ready": "yes"})", "\"ready\" must be a boolean, not a string"},
      {R"({"ready": 1})", "\"ready\" must be a boolean, not a number"},
      {R"({"repository_name": "x"})", "unknown field \"repository_name\""},
      {R"([true])", "must be a JSON object, not a list"},
      {R"({"ready": tru)", "is not valid JSON"},
  };
  for (const auto& c : cases) {
    auto r = ParseRepositoryIndexRequest(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.says), std::string::npos) << r.status().message();
  }
}

TEST(RepositoryModelRequest, EmptyParametersOnly) {
  EXPECT_TRUE(ParseRepositoryModelRequest("", "load").ok());
  EXPECT_TRUE(ParseRepositoryModelRequest("{}", "load").ok());
  EXPECT_TRUE(ParseRepositoryModelRequest(R"({"parameters": {}})", "unload").ok());
  Status s = ParseRepositoryModelRequest(R"({"parameters": {"unload_dependents": true}})",
                                         "unload");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("parameter \"unload_dependents\" is not supported"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(ParseRepositoryModelRequest(R"({"parameters": []})", "load").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRepositoryModelRequest(R"({"model": "x"})", "load").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRepositoryModelRequest("not json", "load").code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ferry::protocol
