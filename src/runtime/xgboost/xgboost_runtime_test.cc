// Parity of Ferry's XGBoost runtime with Python xgboost 1.7 on fixtures written
// by tests/fixtures/xgboost/gen_xgboost.py (generated into the build dir).
#include "runtime/xgboost/xgboost_runtime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <thread>

#include "runtime/loader.h"
#include "runtime/registry.h"

namespace ferry::xgboost {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using protocol::DataType;
using protocol::Frame;
using protocol::Tensor;
using runtime::LoadOptions;
using runtime::Model;
using runtime::PredictMethod;

const fs::path kFixtures = fs::path(FERRY_BINARY_DIR) / "fixtures" / "xgboost";

Json Expected(const std::string& name) {
  std::ifstream in(kFixtures / name / "expected.json");
  EXPECT_TRUE(in.good()) << "missing fixture " << name << "; build target xgboost_fixtures";
  return Json::parse(in);
}

Frame ToFrame(const Json& rows) {
  Frame f = Frame::Numeric(rows.size(), rows[0].size());
  for (size_t r = 0; r < f.rows; ++r) {
    for (size_t c = 0; c < f.cols; ++c) {
      const Json& v = rows[r][c];
      f.numeric[r * f.cols + c] =
          v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>();
    }
  }
  return f;
}

std::unique_ptr<Model> Load(const fs::path& file, const LoadOptions& options = {}) {
  auto rt = NewXgboostRuntime();
  auto model = rt->LoadFile(file, options);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? std::move(model).value() : nullptr;
}

// Flattens expected values (nested lists, nulls as NaN) with their shape.
void Flatten(const Json& j, std::vector<double>& out, protocol::Shape& shape, size_t depth = 0) {
  if (!j.is_array()) {
    out.push_back(j.is_null() ? std::nan("") : j.get<double>());
    return;
  }
  if (shape.size() == depth) shape.push_back(static_cast<int64_t>(j.size()));
  for (const auto& e : j) Flatten(e, out, shape, depth + 1);
}

void ExpectTensorNear(const Tensor& got, const Json& want, const std::string& what) {
  std::vector<double> values;
  protocol::Shape shape;
  Flatten(want, values, shape);
  ASSERT_EQ(got.shape, shape) << what;
  ASSERT_EQ(got.num_elements(), static_cast<int64_t>(values.size())) << what;
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_NEAR(got.AsDouble(static_cast<int64_t>(i)), values[i], 1e-6) << what << " [" << i << "]";
  }
}

void ExpectLabels(const Tensor& got, const Json& want, const std::string& what) {
  ASSERT_EQ(got.datatype, DataType::kInt64) << what;
  ASSERT_EQ(got.num_elements(), static_cast<int64_t>(want.size())) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got.data<int64_t>()[i], want[i].get<int64_t>()) << what << " [" << i << "]";
  }
}

class PlainParity : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

// KServe plain layout: predict is Booster.predict(DMatrix(X)), as xgbserver returns.
TEST_P(PlainParity, MatchesBoosterPredict) {
  const auto& [name, fmt] = GetParam();
  const Json expected = Expected(name);
  auto model = Load(kFixtures / name / fmt / ("model." + fmt));
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->info().n_features, expected["n_features"].get<int64_t>());
  const Frame x = ToFrame(expected["X"]);
  auto got = model->Predict(x, PredictMethod::kPredict);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->datatype, DataType::kFp32);
  ExpectTensorNear(*got, expected["booster_predict"], name + "/" + fmt + " predict");
  if (expected.contains("predict_proba")) {
    auto proba = model->Predict(x, PredictMethod::kPredictProba);
    ASSERT_TRUE(proba.ok()) << proba.status().ToString();
    ExpectTensorNear(*proba, expected["predict_proba"], name + "/" + fmt + " predict_proba");
  }
}

INSTANTIATE_TEST_SUITE_P(AllFormats, PlainParity,
                         ::testing::Combine(::testing::Values("binary", "multiclass", "softmax",
                                                              "booster", "regressor", "named"),
                                            ::testing::Values("json", "ubj", "bst")),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

class MlflowParity : public ::testing::TestWithParam<std::string> {};

// MLflow dir: the flavor's model_class decides (XGBClassifier.predict → labels).
TEST_P(MlflowParity, MatchesEstimatorPredict) {
  const std::string name = GetParam();
  const Json expected = Expected(name);
  LoadOptions options;
  options.model_class = expected["model_class"].get<std::string>();
  options.model_format = "xgb";
  auto model = Load(kFixtures / name / "mlflow" / "model.xgb", options);
  ASSERT_NE(model, nullptr);
  const Frame x = ToFrame(expected["X"]);
  auto got = model->Predict(x, PredictMethod::kPredict);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  if (options.model_class.find("Classifier") != std::string::npos) {
    EXPECT_EQ(model->info().output_datatype, DataType::kInt64);
    ExpectLabels(*got, expected["predict"], name + " labels");
    auto proba = model->Predict(x, PredictMethod::kPredictProba);
    ASSERT_TRUE(proba.ok()) << proba.status().ToString();
    ExpectTensorNear(*proba, expected["predict_proba"], name + " predict_proba");
  } else if (expected.contains("predict")) {
    ExpectTensorNear(*got, expected["predict"], name + " predict");
  } else {
    ExpectTensorNear(*got, expected["booster_predict"], name + " booster predict");
  }
}

INSTANTIATE_TEST_SUITE_P(AllCases, MlflowParity,
                         ::testing::Values("binary", "multiclass", "softmax", "booster",
                                           "regressor"));

// The early-stopped regressor: sklearn API stops at best_iteration, Booster uses all trees.
TEST(XgboostRuntime, EarlyStoppingChangesEstimatorButNotBooster) {
  const Json expected = Expected("regressor");
  EXPECT_NE(expected["predict"], expected["booster_predict"]) << "fixture lost early stopping";
}

TEST(XgboostRuntime, ReportsMethodsAndClasses) {
  auto model = Load(kFixtures / "multiclass" / "json" / "model.json");
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->info().framework, "xgboost");
  EXPECT_EQ(model->info().classes, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(model->info().methods,
            (std::vector<PredictMethod>{PredictMethod::kPredict, PredictMethod::kPredictProba,
                                        PredictMethod::kContributions}));
  auto reg = Load(kFixtures / "regressor" / "json" / "model.json");
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->info().methods,
            (std::vector<PredictMethod>{PredictMethod::kPredict, PredictMethod::kContributions}));
}

TEST(XgboostRuntime, RejectsBadInputs) {
  auto model = Load(kFixtures / "multiclass" / "json" / "model.json");
  ASSERT_NE(model, nullptr);
  Frame narrow = Frame::Numeric(2, 3);
  auto st = model->Predict(narrow, PredictMethod::kPredict);
  EXPECT_EQ(st.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.status().message().find("expects 4"), std::string::npos) << st.status().message();

  Frame strings = Frame::Numeric(1, 4);
  strings.MakeStringColumn(1);
  EXPECT_EQ(model->Predict(strings, PredictMethod::kPredict).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(model->Predict(Frame::Numeric(1, 4), PredictMethod::kDecisionFunction).status().code(),
            StatusCode::kUnimplemented);
  auto reg = Load(kFixtures / "regressor" / "json" / "model.json");
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->Predict(Frame::Numeric(1, 10), PredictMethod::kPredictProba).status().code(),
            StatusCode::kUnimplemented);
}

TEST(XgboostRuntime, ZeroRowsGiveEmptyResults) {
  auto model = Load(kFixtures / "multiclass" / "json" / "model.json");
  ASSERT_NE(model, nullptr);
  auto got = model->Predict(Frame::Numeric(0, 4), PredictMethod::kPredict);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->shape, (protocol::Shape{0, 3}));
  auto proba = model->Predict(Frame::Numeric(0, 4), PredictMethod::kPredictProba);
  ASSERT_TRUE(proba.ok()) << proba.status().ToString();
  EXPECT_EQ(proba->shape, (protocol::Shape{0, 3}));
}

TEST(XgboostRuntime, BadFilesNameTheFile) {
  const fs::path dir = fs::path(FERRY_BINARY_DIR) / "xgboost_runtime_test_tmp";
  fs::create_directories(dir);
  std::ofstream(dir / "model.json") << "{\"not\": \"a model\"}";
  auto rt = NewXgboostRuntime();
  auto bad = rt->LoadFile(dir / "model.json", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find((dir / "model.json").string()), std::string::npos)
      << bad.status().message();
  auto missing = rt->LoadFile(dir / "absent.bst", {});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(XgboostRuntime, ConcurrentPredictionsAgree) {
  const Json expected = Expected("multiclass");
  auto model = Load(kFixtures / "multiclass" / "ubj" / "model.ubj");
  ASSERT_NE(model, nullptr);
  const Frame x = ToFrame(expected["X"]);
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto got = model->Predict(x, PredictMethod::kPredictProba);
        if (!got.ok() || got->raw.size() != x.rows * 3 * sizeof(float)) {
          ++mismatches;
          continue;
        }
        for (size_t e = 0; e < x.rows * 3; ++e) {
          const double want = expected["predict_proba"][e / 3][e % 3].get<double>();
          if (std::abs(got->AsDouble(static_cast<int64_t>(e)) - want) > 1e-6) ++mismatches;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// A model saved with feature names takes columns by name, in any order.
TEST(XgboostRuntime, NamedFeaturesAreMatchedByName) {
  const Json expected = Expected("named");
  auto model = Load(kFixtures / "named" / "json" / "model.json");
  ASSERT_NE(model, nullptr);
  const auto names = expected["feature_names"].get<std::vector<std::string>>();
  EXPECT_EQ(model->info().feature_names, names);
  const Frame x = ToFrame(expected["X"]);
  Frame reversed = Frame::Numeric(x.rows, x.cols);
  for (size_t c = 0; c < x.cols; ++c) {
    reversed.names.push_back(names[x.cols - 1 - c]);
    for (size_t r = 0; r < x.rows; ++r) {
      reversed.numeric[r * x.cols + c] = x.at(r, x.cols - 1 - c);
    }
  }
  auto got = model->Predict(reversed, PredictMethod::kPredict);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ExpectTensorNear(*got, expected["booster_predict"], "named, reversed columns");

  reversed.names[0] = "colour";
  auto missing = model->Predict(reversed, PredictMethod::kPredict);
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find(names.back()), std::string::npos)
      << missing.status().message();

  runtime::RuntimeRegistry registry;
  registry.Register(NewXgboostRuntime());
  auto served = runtime::LoadModelDir(registry, kFixtures / "named" / "ubj", "named");
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  EXPECT_EQ((*served)->metadata.content_type, "pd");
  ASSERT_EQ((*served)->metadata.inputs.size(), 4u);
  EXPECT_EQ((*served)->metadata.inputs[2].name, names[2]);
}

TEST(XgboostRuntime, LoadModelDirServesPlainAndMlflowLayouts) {
  runtime::RuntimeRegistry registry;
  registry.Register(NewXgboostRuntime());
  auto plain = runtime::LoadModelDir(registry, kFixtures / "binary" / "bst", "bin");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ((*plain)->format, "xgboost");
  EXPECT_EQ((*plain)->output_style, protocol::OutputStyle::kKserve);
  ASSERT_EQ((*plain)->metadata.inputs.size(), 1u);
  EXPECT_EQ((*plain)->metadata.inputs[0].shape, (protocol::Shape{-1, 6}));
  EXPECT_EQ((*plain)->metadata.outputs[0].datatype, DataType::kFp32);
  EXPECT_FALSE((*plain)->warnings.empty()) << "expected the XGBClassifier-as-Booster warning";

  auto ml = runtime::LoadModelDir(registry, kFixtures / "binary" / "mlflow", "bin");
  ASSERT_TRUE(ml.ok()) << ml.status().ToString();
  EXPECT_EQ((*ml)->format, "mlflow");
  EXPECT_EQ((*ml)->mlflow_version, "2.10.1");
  EXPECT_EQ((*ml)->output_style, protocol::OutputStyle::kMlserver);
  EXPECT_NE((*ml)->source.find("xgboost flavor"), std::string::npos) << (*ml)->source;
  EXPECT_EQ((*ml)->metadata.outputs[0].datatype, DataType::kInt64);
}

}  // namespace
}  // namespace ferry::xgboost
