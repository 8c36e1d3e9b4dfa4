#include "runtime/signature.h"

#include <gtest/gtest.h>

namespace ferry::protocol {
// Found by ADL from std::vector's operator==.
bool operator==(const TensorSpec& a, const TensorSpec& b) {
  return a.name == b.name && a.datatype == b.datatype && a.shape == b.shape &&
         a.content_type == b.content_type;
}
}  // namespace ferry::protocol

namespace ferry::runtime {
namespace {

using protocol::DataType;
using protocol::TensorSpec;

std::vector<TensorSpec> Tensors(std::string_view json, std::string_view prefix) {
  auto schema = ParseSchemaJson(json, "test");
  EXPECT_TRUE(schema.ok()) << schema.status().ToString();
  if (!schema.ok()) return {};
  auto specs = ToMetadataTensors(*schema, prefix);
  EXPECT_TRUE(specs.ok()) << specs.status().ToString();
  return specs.ok() ? *specs : std::vector<TensorSpec>{};
}

// Reference §3.3 example A: iris column signature, int64 tensor output.
TEST(Signature, ExampleAColumnsGivePandasMetadata) {
  const char* inputs =
      R"j([{"type": "double", "name": "sepal length (cm)", "required": true},
          {"type": "double", "name": "sepal width (cm)", "required": true},
          {"type": "double", "name": "petal length (cm)", "required": true},
          {"type": "double", "name": "petal width (cm)", "required": true}])j";
  const auto in = Tensors(inputs, "input-");
  const std::vector<TensorSpec> want_in = {
      {"sepal length (cm)", DataType::kFp64, {-1, 1}, "np"},
      {"sepal width (cm)", DataType::kFp64, {-1, 1}, "np"},
      {"petal length (cm)", DataType::kFp64, {-1, 1}, "np"},
      {"petal width (cm)", DataType::kFp64, {-1, 1}, "np"},
  };
  EXPECT_EQ(in, want_in);
  const auto out = Tensors(
      R"j([{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}])j", "output-");
  EXPECT_EQ(out, (std::vector<TensorSpec>{{"output-0", DataType::kInt64, {-1}, "np"}}));
  EXPECT_EQ(ToModelContentType(*ParseSchemaJson(inputs, "t")), "pd");
}

// Example C: unnamed float64 [-1, 4] tensor → input-0, model content type np.
TEST(Signature, ExampleCUnnamedTensorGivesNumpy) {
  const char* inputs =
      R"j([{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}])j";
  EXPECT_EQ(Tensors(inputs, "input-"),
            (std::vector<TensorSpec>{{"input-0", DataType::kFp64, {-1, 4}, "np"}}));
  EXPECT_EQ(ToModelContentType(*ParseSchemaJson(inputs, "t")), "np");
}

TEST(Signature, NamedTensorsGiveDict) {
  const char* inputs =
      R"j([{"type": "tensor", "name": "a", "tensor-spec": {"dtype": "float32", "shape": [-1]}},
          {"type": "tensor", "name": "b", "tensor-spec": {"dtype": "<U0", "shape": [-1, 2]}}])j";
  EXPECT_EQ(Tensors(inputs, "input-"),
            (std::vector<TensorSpec>{{"a", DataType::kFp32, {-1}, "np"},
                                     {"b", DataType::kBytes, {-1, 2}, "np"}}));
  EXPECT_EQ(ToModelContentType(*ParseSchemaJson(inputs, "t")), "dict");
}

TEST(Signature, ColumnTypeMap) {
  const auto specs = Tensors(
      R"j([{"type": "boolean"}, {"type": "integer"}, {"type": "long"}, {"type": "float"},
          {"type": "string", "name": "s"}, {"type": "binary"}, {"type": "datetime"},
          {"type": "array", "items": {"type": "double"}}, {"type": "any"}])j",
      "input-");
  const std::vector<TensorSpec> want = {
      {"input-0", DataType::kBool, {-1, 1}, "np"},
      {"input-1", DataType::kInt32, {-1, 1}, "np"},
      {"input-2", DataType::kInt64, {-1, 1}, "np"},
      {"input-3", DataType::kFp32, {-1, 1}, "np"},
      {"s", DataType::kBytes, {-1, 1}, "str"},
      {"input-5", DataType::kBytes, {-1, 1}, "base64"},
      {"input-6", DataType::kBytes, {-1, 1}, "datetime"},
      {"input-7", DataType::kBytes, {-1, 1}, "pd_json"},
      {"input-8", DataType::kBytes, {-1, 1}, "pd_json"},
  };
  EXPECT_EQ(specs, want);
}

TEST(Signature, RejectsMalformedSchemas) {
  EXPECT_EQ(ParseSchemaJson("[{", "MLmodel signature.inputs").status().code(),
            StatusCode::kInvalidArgument);
  auto unknown = ParseSchemaJson(R"j([{"type": "decimal"}])j", "sig");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("decimal"), std::string::npos);
  EXPECT_FALSE(ParseSchemaJson(R"j({"type": "double"})j", "sig").ok());
  EXPECT_FALSE(ParseSchemaJson(R"j([{"type": "tensor"}])j", "sig").ok());
  EXPECT_FALSE(
      ParseSchemaJson(R"j([{"type": "tensor", "tensor-spec": {"dtype": "complex128"}}])j", "s")
          .ok());
  EXPECT_FALSE(ParseSchemaJson(R"j([{"type": "double"},
      {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}])j",
                               "s")
                   .ok());
  EXPECT_FALSE(
      ParseSchemaJson(
          R"j([{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-2]}}])j", "s")
          .ok());
}

TEST(Signature, MetadataFromModelInfo) {
  ModelInfo info;
  info.n_features = 4;
  info.output_datatype = DataType::kInt64;
  protocol::ModelMetadata md;
  FillMetadataFromModelInfo(info, md);
  EXPECT_EQ(md.inputs, (std::vector<TensorSpec>{{"input-0", DataType::kFp64, {-1, 4}, "np"}}));
  EXPECT_EQ(md.outputs, (std::vector<TensorSpec>{{"output-0", DataType::kInt64, {-1}, "np"}}));
  EXPECT_EQ(md.content_type, "np");
  info.feature_names = {"a", "b"};
  FillMetadataFromModelInfo(info, md);
  EXPECT_EQ(md.inputs, (std::vector<TensorSpec>{{"a", DataType::kFp64, {-1, 1}, "np"},
                                                {"b", DataType::kFp64, {-1, 1}, "np"}}));
  EXPECT_EQ(md.content_type, "pd");
}

}  // namespace
}  // namespace ferry::runtime
