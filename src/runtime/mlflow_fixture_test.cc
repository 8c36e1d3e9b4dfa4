// LoadModelDir on the MLflow 2.10 iris dirs written by
// tests/fixtures/mlflow/gen_mlflow.py, with a fake scikit-learn runtime: checks
// the metadata MLServer would publish for them (reference §3.3 examples A/B/C).
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace ferry::runtime
