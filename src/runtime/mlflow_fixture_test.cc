// LoadModelDir on the MLflow 2.10 iris dirs written by
// tests/fixtures/mlflow/gen_mlflow.py, with a fake scikit-learn runtime: checks
// the metadata MLServer would publish for them (reference §3.3 examples A/B/C).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "runtime/input_example.h"
#include "runtime/loader.h"

namespace ferry::runtime {
namespace {

namespace fs = std::filesystem;
using protocol::DataType;

const fs::path kDirs = fs::path(FERRY_BINARY_DIR) / "fixtures" / "mlflow";

class IrisModel : public Model {
 public:
  IrisModel() {
    info_.framework = "sklearn";
    info_.description = "LogisticRegression";
    info_.n_features = 4;
    info_.output_datatype = DataType::kInt64;
    info_.methods = {PredictMethod::kPredict, PredictMethod::kPredictProba};
  }
  const ModelInfo& info() const override { return info_; }
  StatusOr<protocol::Tensor> Predict(const protocol::Frame&, PredictMethod) const override {
    return UnimplementedError("fake");
  }

 private:
  ModelInfo info_;
};

class FakeSklearn : public FormatRuntime {
 public:
  std::string_view name() const override { return "sklearn"; }
  std::string_view mlflow_flavor() const override { return "sklearn"; }
  std::vector<std::string> plain_file_names() const override { return {"model.pkl"}; }
  StatusOr<std::unique_ptr<Model>> LoadFile(const fs::path& file,
                                            const LoadOptions& options) const override {
    if (file.filename() != "model.pkl" || options.serialization_format != "cloudpickle") {
      return InvalidArgumentError("unexpected load of " + file.string());
    }
    return std::unique_ptr<Model>(std::make_unique<IrisModel>());
  }
};

StatusOr<std::unique_ptr<ServedModel>> LoadIris(const std::string& variant) {
  RuntimeRegistry registry;
  registry.Register(std::make_unique<FakeSklearn>());
  return LoadModelDir(registry, kDirs / variant, "irish-s3");
}

TEST(MlflowFixtures, TensorSignatureIsExampleC) {
  auto m = LoadIris("iris_tensor");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->mlflow_version, "2.10.1");
  EXPECT_TRUE((*m)->has_signature);
  EXPECT_EQ((*m)->metadata.content_type, "np");
  ASSERT_EQ((*m)->metadata.inputs.size(), 1u);
  EXPECT_EQ((*m)->metadata.inputs[0].name, "input-0");
  EXPECT_EQ((*m)->metadata.inputs[0].datatype, DataType::kFp64);
  EXPECT_EQ((*m)->metadata.inputs[0].shape, (protocol::Shape{-1, 4}));
  ASSERT_EQ((*m)->metadata.outputs.size(), 1u);
  EXPECT_EQ((*m)->metadata.outputs[0].name, "output-0");
  EXPECT_EQ((*m)->metadata.outputs[0].datatype, DataType::kInt64);
  EXPECT_EQ((*m)->metadata.outputs[0].shape, (protocol::Shape{-1}));
  EXPECT_EQ((*m)->input_example_type, "ndarray");
  EXPECT_EQ((*m)->input_example_json.rfind("{\"inputs\": [[", 0), 0u);
}

TEST(MlflowFixtures, ColumnSignatureIsExampleA) {
  auto m = LoadIris("iris_columns");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->metadata.content_type, "pd");
  const std::vector<std::string> names = {"sepal length (cm)", "sepal width (cm)",
                                          "petal length (cm)", "petal width (cm)"};
  ASSERT_EQ((*m)->metadata.inputs.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ((*m)->metadata.inputs[i].name, names[i]);
    EXPECT_EQ((*m)->metadata.inputs[i].datatype, DataType::kFp64);
    EXPECT_EQ((*m)->metadata.inputs[i].shape, (protocol::Shape{-1, 1}));
    EXPECT_EQ((*m)->metadata.inputs[i].content_type, "np");
  }
  EXPECT_EQ((*m)->metadata.outputs[0].name, "output-0");
  EXPECT_EQ((*m)->input_example_type, "dataframe");
}

// Example B: MLServer publishes no inputs; Ferry derives them from the model and says so.
TEST(MlflowFixtures, NoSignatureIsExampleBPlusDerivedMetadata) {
  auto m = LoadIris("iris_nosig");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_FALSE((*m)->has_signature);
  EXPECT_TRUE((*m)->input_example_json.empty());
  ASSERT_EQ((*m)->metadata.inputs.size(), 1u);
  EXPECT_EQ((*m)->metadata.inputs[0].shape, (protocol::Shape{-1, 4}));
  EXPECT_FALSE((*m)->warnings.empty());
}

// The saved input example becomes the V2 request the dashboard's Try it
// starts from: the ndarray example as one [n, 4] tensor (first 5 rows), the
// pandas split example as one [n, 1] input per signature column, by name.
TEST(MlflowFixtures, InputExampleBecomesAV2Request) {
  auto tensor = LoadIris("iris_tensor");
  ASSERT_TRUE(tensor.ok()) << tensor.status().ToString();
  auto t = nlohmann::json::parse((*tensor)->metadata.example_request.get());
  ASSERT_EQ(t["inputs"].size(), 1u) << t.dump();
  EXPECT_EQ(t["inputs"][0]["name"], "input-0");
  EXPECT_EQ(t["inputs"][0]["datatype"], "FP64");
  EXPECT_EQ(t["inputs"][0]["shape"], nlohmann::json({5, 4}));
  auto saved = nlohmann::json::parse((*tensor)->input_example_json);
  EXPECT_EQ(t["inputs"][0]["data"][4], saved["inputs"][4]);
  EXPECT_EQ(t["parameters"]["content_type"], "np");

  auto columns = LoadIris("iris_columns");
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  auto c = nlohmann::json::parse((*columns)->metadata.example_request.get());
  auto split = nlohmann::json::parse((*columns)->input_example_json);
  ASSERT_EQ(c["inputs"].size(), 4u) << c.dump();
  EXPECT_EQ(c["inputs"][2]["name"], split["columns"][2]);
  EXPECT_EQ(c["inputs"][2]["shape"], nlohmann::json({5, 1}));
  EXPECT_EQ(c["inputs"][2]["data"][1], split["data"][1][2]);

  // No example: no request (the dashboard falls back to zeros from the metadata).
  auto nosig = LoadIris("iris_nosig");
  ASSERT_TRUE(nosig.ok()) << nosig.status().ToString();
  EXPECT_EQ((*nosig)->metadata.example_request.get(), "");
}

// Examples that do not fit the model's inputs give no request rather than a wrong one.
TEST(InputExample, RefusesWhatDoesNotFitTheMetadata) {
  protocol::ModelMetadata md;
  md.inputs.push_back({"input-0", DataType::kFp64, {-1, 4}, ""});
  EXPECT_NE(ExampleRequest(R"({"inputs": [[1, 2, 3, 4]]})", md, 5), "");
  EXPECT_EQ(ExampleRequest(R"({"inputs": [[1, 2, 3]]})", md, 5), "");   // 3 columns for 4
  EXPECT_EQ(ExampleRequest(R"({"inputs": [[1, 2, 3, 4], [1]]})", md, 5), "");  // ragged
  EXPECT_EQ(ExampleRequest(R"({"inputs": [[{"a": 1}, 2, 3, 4]]})", md, 5), "");
  EXPECT_EQ(ExampleRequest("not json", md, 5), "");
  md.inputs.push_back({"b", DataType::kFp64, {-1, 1}, ""});
  EXPECT_EQ(ExampleRequest(R"({"columns": ["a", "c"], "data": [[1, 2]]})", md, 5), "");  // no input-0 column
}

}  // namespace
}  // namespace ferry::runtime
