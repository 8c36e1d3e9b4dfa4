#include "protocol/v1_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

namespace ferry::protocol {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Frame MustParse(std::string_view json) {
  auto f = ParseV1Request(json);
  EXPECT_TRUE(f.ok()) << f.status().ToString() << "\nbody: " << json;
  return f.ok() ? std::move(f).value() : Frame{};
}

std::string ParseError(std::string_view json) {
  auto f = ParseV1Request(json);
  EXPECT_FALSE(f.ok()) << "expected an error for " << json;
  if (f.ok()) {
    return "";
  }
  EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
  return f.status().message();
}

TEST(ParseV1Request, NumericRows) {
  Frame f = MustParse(R"({"instances": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]})");
  EXPECT_EQ(f.rows, 2u);
  EXPECT_EQ(f.cols, 4u);
  EXPECT_FALSE(f.has_strings());
  EXPECT_TRUE(f.names.empty());
  EXPECT_THAT(f.numeric, ElementsAre(6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6));
  Frame inputs = MustParse(R"({"inputs": [[1, 2]]})");
  EXPECT_THAT(inputs.numeric, ElementsAre(1, 2));
}

TEST(ParseV1Request, ScalarsAreOneColumn) {
  Frame f = MustParse(R"({"instances": [1, 2.5, null, true]})");
  EXPECT_EQ(f.rows, 4u);
  EXPECT_EQ(f.cols, 1u);
  EXPECT_EQ(f.at(1, 0), 2.5);
  EXPECT_TRUE(f.is_missing(2, 0));
  EXPECT_EQ(f.at(3, 0), 1.0);
  Frame s = MustParse(R"({"instances": ["a", "b"]})");
  EXPECT_TRUE(s.is_string_col(0));
  EXPECT_EQ(s.str_at(1, 0), "b");
}

TEST(ParseV1Request, StringColumns) {
  Frame f = MustParse(R"({"instances": [[1, "red", 2], [3, "blue", null], [4, 7, 5]]})");
  EXPECT_FALSE(f.is_string_col(0));
  EXPECT_TRUE(f.is_string_col(1));
  EXPECT_FALSE(f.is_string_col(2));
  EXPECT_EQ(f.str_at(0, 1), "red");
  EXPECT_EQ(f.str_at(2, 1), "7");  // numbers in a string column keep their text
  EXPECT_TRUE(f.is_missing(1, 2));
  EXPECT_EQ(f.at(2, 0), 4.0);
}

TEST(ParseV1Request, RecordsBecomeNamedColumns) {
  Frame f = MustParse(R"({"instances": [{"a": 1, "b": "x"}, {"b": "y", "c": 3}]})");
  EXPECT_THAT(f.names, ElementsAre("a", "b", "c"));
  EXPECT_EQ(f.rows, 2u);
  EXPECT_EQ(f.at(0, 0), 1.0);
  EXPECT_TRUE(f.is_missing(1, 0));
  EXPECT_EQ(f.str_at(1, 1), "y");
  EXPECT_TRUE(f.is_missing(0, 2));
  EXPECT_EQ(f.at(1, 2), 3.0);
}

TEST(ParseV1Request, Errors) {
  EXPECT_EQ(ParseError(R"({"instances": 5})"), "Expected \"instances\" to be a list, not a number");
  EXPECT_THAT(ParseError(R"({"inputs": "x"})"), StartsWith("Expected \"inputs\" to be a list"));
  EXPECT_THAT(ParseError(R"({"data": []})"), HasSubstr("Expected \"instances\" or \"inputs\""));
  EXPECT_THAT(ParseError(R"({"instances": []})"), HasSubstr("instances is empty"));
  EXPECT_THAT(ParseError(R"({"instances": [[]]})"), HasSubstr("instances[0] is an empty list"));
  EXPECT_THAT(ParseError(R"({"instances": [{}]})"), HasSubstr("has rows but no columns"));
  EXPECT_THAT(ParseError(R"({"instances": [[1, 2], [3]]})"),
              HasSubstr("instances[1] has 1 values but instances[0] has 2"));
  EXPECT_THAT(ParseError(R"({"instances": [[1, [2]]]})"),
              HasSubstr("instances[0][1] is a list; each value must be"));
  EXPECT_THAT(ParseError(R"({"instances": [[1], {"a": 1}]})"),
              HasSubstr("instances[1] is an object"));
  EXPECT_THAT(ParseError(R"({"instances": [{"a": 1}, [1]]})"), HasSubstr("instances[1] is a list"));
  EXPECT_THAT(ParseError(R"({"instances": [{"a": {"b": 1}}]})"),
              HasSubstr("instances[0]['a'] is an object"));
  EXPECT_THAT(ParseError("{"), HasSubstr("not valid JSON"));
  EXPECT_THAT(ParseError("[1]"), HasSubstr("must be a JSON object"));
  EXPECT_THAT(ParseError(R"({"dataframe_split": {}})"), HasSubstr("/invocations"));
}

TEST(ParseV1Request, V2BodyIsRecognised) {
  std::string v2 = R"({"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64",)"
                   R"( "data": [1, 2, 3, 4]}]})";
  std::string msg = ParseError(v2);
  EXPECT_THAT(msg, StartsWith(kV2BodyOnV1Message));
  EXPECT_THAT(msg, HasSubstr("/v2/models/<name>/infer"));
  EXPECT_TRUE(LooksLikeV2Body(v2));
  EXPECT_FALSE(LooksLikeV2Body(R"({"inputs": [[1, 2]]})"));
  EXPECT_FALSE(LooksLikeV2Body(R"({"instances": [{"name": "a", "shape": 1}]})"));
  EXPECT_EQ(V2BodyOnV1Message("iris"),
            "this is a V2 (Open Inference Protocol) request; POST it to /v2/models/iris/infer, "
            "or send a V1 body {\"instances\": [[...], ...]} here");
}

TEST(WriteV1Predictions, Shapes) {
  EXPECT_EQ(WriteV1Predictions(Tensor::FromInt64s({1, 1}, {2})), R"({"predictions":[1,1]})");
  EXPECT_EQ(WriteV1Predictions(Tensor::FromDoubles({0.25, 0.75, 1, std::nan("")}, {2, 2})),
            R"({"predictions":[[0.25,0.75],[1.0,null]]})");
  EXPECT_EQ(WriteV1Predictions(Tensor::FromStrings({"setosa", "vir\"ginica"}, {2})),
            R"({"predictions":["setosa","vir\"ginica"]})");
  EXPECT_EQ(WriteV1Predictions(Tensor::FromInt64s({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2})),
            R"({"predictions":[[[1,2],[3,4]],[[5,6],[7,8]]]})");
}

TEST(WriteV1Explanations, OneExplanationPerInstanceBesideThePredictions) {
  EXPECT_EQ(WriteV1Explanations(Tensor::FromInt64s({0, 1}, {2}),
                                Tensor::FromDoubles({0.5, -0.25, 1, 2, 0.125, -1}, {2, 3})),
            R"({"predictions":[0,1],"explanations":[[0.5,-0.25,1.0],[2.0,0.125,-1.0]]})");
  // Multi-class: [instances, classes, features + 1].
  EXPECT_EQ(WriteV1Explanations(Tensor::FromInt64s({2}, {1}),
                                Tensor::FromDoubles({1, 2, 3, 4}, {1, 2, 2})),
            R"({"predictions":[2],"explanations":[[[1.0,2.0],[3.0,4.0]]]})");
}

}  // namespace
}  // namespace ferry::protocol
