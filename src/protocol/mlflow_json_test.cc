#include "protocol/mlflow_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

namespace ferry::protocol {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Frame MustParse(std::string_view json, Parameters* params = nullptr) {
  auto f = ParseMlflowJson(json, params);
  EXPECT_TRUE(f.ok()) << f.status().ToString() << "\nbody: " << json;
  return f.ok() ? std::move(f).value() : Frame{};
}

std::string ParseError(std::string_view json) {
  auto f = ParseMlflowJson(json, nullptr);
  EXPECT_FALSE(f.ok()) << "expected an error for " << json;
  return f.ok() ? "" : f.status().message();
}

Frame MustParseCsv(std::string_view csv) {
  auto f = ParseMlflowCsv(csv);
  EXPECT_TRUE(f.ok()) << f.status().ToString() << "\ncsv: " << csv;
  return f.ok() ? std::move(f).value() : Frame{};
}

std::string CsvError(std::string_view csv) {
  auto f = ParseMlflowCsv(csv);
  EXPECT_FALSE(f.ok()) << "expected an error for " << csv;
  return f.ok() ? "" : f.status().message();
}

TEST(ParseMlflowJson, DataframeSplitIrisExample) {
  Frame f = MustParse(R"j({"dataframe_split":{"columns":["sepal length (cm)","sepal width (cm)",)j"
                      R"j("petal length (cm)","petal width (cm)"],"data":[[5.1,3.5,1.4,0.2]]}})j");
  EXPECT_EQ(f.rows, 1u);
  EXPECT_THAT(f.names, ElementsAre("sepal length (cm)", "sepal width (cm)", "petal length (cm)",
                                   "petal width (cm)"));
  EXPECT_THAT(f.numeric, ElementsAre(5.1, 3.5, 1.4, 0.2));
  Frame with_index = MustParse(R"({"dataframe_split":{"index":[7],"columns":["a","b"],)"
                               R"("data":[[1,"x"]]}})");
  EXPECT_TRUE(with_index.is_string_col(1));
  Frame no_columns = MustParse(R"({"dataframe_split":{"data":[[1,2]]}})");
  EXPECT_TRUE(no_columns.names.empty());
  EXPECT_THAT(ParseError(R"({"dataframe_split":{"columns":["a"],"data":[[1,2]]}})"),
              HasSubstr("has 1 columns but its rows have 2 values"));
  EXPECT_THAT(ParseError(R"({"dataframe_split":[[1,2]]})"), HasSubstr("pandas 'split' orient"));
}

TEST(ParseMlflowJson, DataframeRecords) {
  Frame f = MustParse(R"({"dataframe_records":[{"a":1,"b":2},{"a":3}]})");
  EXPECT_THAT(f.names, ElementsAre("a", "b"));
  EXPECT_TRUE(f.is_missing(1, 1));
  EXPECT_THAT(ParseError(R"({"dataframe_records":[[1,2]]})"), HasSubstr("{column: value}"));
}

TEST(ParseMlflowJson, InstancesAndInputs) {
  EXPECT_EQ(MustParse(R"({"instances":[[1,2],[3,4]]})").rows, 2u);
  EXPECT_THAT(MustParse(R"({"instances":[{"x":1}]})").names, ElementsAre("x"));
  Frame cols = MustParse(R"({"inputs":{"a":[1,2],"b":["u","v"]}})");
  EXPECT_THAT(cols.names, ElementsAre("a", "b"));
  EXPECT_EQ(cols.rows, 2u);
  EXPECT_EQ(cols.at(1, 0), 2.0);
  EXPECT_EQ(cols.str_at(1, 1), "v");
  EXPECT_THAT(ParseError(R"({"inputs":{"a":[1,2],"b":[1]}})"), HasSubstr("same length"));
  EXPECT_EQ(MustParse(R"({"inputs":[[1,2,3]]})").cols, 3u);
  Frame tensor = MustParse(R"({"inputs":{"x":[[1,2,3],[4,5,6]]}})");
  EXPECT_EQ(tensor.rows, 2u);
  EXPECT_EQ(tensor.cols, 3u);
  EXPECT_EQ(tensor.at(1, 2), 6.0);
  EXPECT_THAT(ParseError(R"({"instances":{"a":1}})"), HasSubstr("instances must be a list"));
}

TEST(ParseMlflowJson, Params) {
  Parameters params;
  MustParse(R"({"params":{"temperature":0.5,"k":3,"mode":"fast"},"instances":[[1]]})", &params);
  EXPECT_EQ(params.GetString("mode"), "fast");
  EXPECT_EQ(params.GetInt("k"), 3);
  EXPECT_EQ(std::get<double>(*params.Find("temperature")), 0.5);
  auto bad = ParseMlflowJson(R"({"params":{"x":[1]},"instances":[[1]]})", &params);
  EXPECT_FALSE(bad.ok());
}

TEST(ParseMlflowJson, ProtocolErrors) {
  EXPECT_THAT(ParseError(R"([[1,2]])"), HasSubstr("changed in MLflow 2.0"));
  EXPECT_THAT(ParseError(R"([[1,2]])"), HasSubstr("Received a list"));
  EXPECT_THAT(ParseError(R"({"columns":["a"],"data":[[1]]})"),
              HasSubstr("Received the field 'columns'"));
  EXPECT_THAT(ParseError(R"({"instances":[[1]],"inputs":[[1]]})"),
              HasSubstr("'inputs' in addition to 'instances'"));
  EXPECT_THAT(ParseError(R"({})"), HasSubstr("Received none of them"));
  EXPECT_THAT(ParseError(R"({"params":{}})"), HasSubstr("exactly one of the input fields"));
  EXPECT_THAT(ParseError("{"), HasSubstr("not valid JSON"));
}

TEST(ParseMlflowCsv, NumericAndStrings) {
  Frame f = MustParseCsv("a,b,c\n1,x,2.5\n3,y,\n");
  EXPECT_THAT(f.names, ElementsAre("a", "b", "c"));
  EXPECT_EQ(f.rows, 2u);
  EXPECT_EQ(f.at(1, 0), 3.0);
  EXPECT_TRUE(f.is_string_col(1));
  EXPECT_EQ(f.str_at(0, 1), "x");
  EXPECT_EQ(f.at(0, 2), 2.5);
  EXPECT_TRUE(f.is_missing(1, 2));
}

TEST(ParseMlflowCsv, QuotingLineEndingsAndMissing) {
  Frame f = MustParseCsv(
      "\xEF\xBB\xBF\"name, full\",v\r\n\"a \"\"q\"\", b\",NaN\r\n\r\nc,+1e3\r\n"
      "\"multi\nline\",True");
  EXPECT_THAT(f.names, ElementsAre("name, full", "v"));
  EXPECT_EQ(f.rows, 3u);
  EXPECT_EQ(f.str_at(0, 0), "a \"q\", b");
  EXPECT_EQ(f.str_at(2, 0), "multi\nline");
  EXPECT_TRUE(f.is_missing(0, 1));
  EXPECT_EQ(f.at(1, 1), 1000.0);
  EXPECT_EQ(f.at(2, 1), 1.0);
  Frame na = MustParseCsv("s\nNA\nfoo\n");
  EXPECT_TRUE(na.is_string_col(0));
  EXPECT_TRUE(na.is_missing(0, 0));
}

TEST(ParseMlflowCsv, Errors) {
  EXPECT_THAT(CsvError(""), HasSubstr("CSV body is empty"));
  EXPECT_EQ(CsvError("a,b\n1,2\n3\n"), "CSV line 3 has 1 fields but the header has 2");
  EXPECT_THAT(CsvError("a\n\"open"), HasSubstr("not closed"));
}

TEST(WriteMlflow, PredictionsAndErrors) {
  EXPECT_EQ(WriteMlflowPredictions(Tensor::FromInt64s({0}, {1})), R"({"predictions":[0]})");
  EXPECT_EQ(WriteMlflowPredictions(Tensor::FromDoubles({0.5, 0.5}, {1, 2})),
            R"({"predictions":[[0.5,0.5]]})");
  EXPECT_EQ(WriteMlflowError("BAD_REQUEST", "bad \"x\""),
            R"({"error_code":"BAD_REQUEST","message":"bad \"x\""})");
}

}  // namespace
}  // namespace ferry::protocol
