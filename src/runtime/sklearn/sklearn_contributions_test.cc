// Contributions of the native scikit-learn runtime against the oracles of
// tests/fixtures/explain/gen_explain.py: brute-force Shapley values for trees,
// forests and (Hist)GradientBoosting, coef·x for linear models — to 1e-9, and
// adding up to scikit-learn's own raw output to 1e-9. Models that cannot
// explain must refuse, saying so.
#include <gtest/gtest.h>

#include <thread>

#include "runtime/contributions_fixtures.h"
#include "runtime/loader.h"
#include "runtime/registry.h"
#include "runtime/sklearn/sklearn_runtime.h"

namespace ferry::sklearn {
namespace {

namespace fs = std::filesystem;
using runtime::PredictMethod;
namespace t = runtime::testing;

const fs::path kDir = t::ExplainFixtures() / "sklearn";

std::unique_ptr<runtime::Model> Load(const fs::path& file) {
  auto model = NewSklearnRuntime()->LoadFile(file, {});
  EXPECT_TRUE(model.ok()) << file << ": " << model.status().ToString();
  return model.ok() ? std::move(model).value() : nullptr;
}

void CheckCase(const runtime::Model& model, const nlohmann::json& e, const std::string& name) {
  EXPECT_TRUE(runtime::SupportsMethod(model.info(), PredictMethod::kContributions)) << name;
  protocol::Frame x = t::RowsToFrame(e["X"]);
  auto got = model.Predict(x, PredictMethod::kContributions);
  ASSERT_TRUE(got.ok()) << name << ": " << got.status().ToString();
  const auto features = e["n_features"].get<size_t>();
  t::ExpectContributionsShape(*got, x.rows, e["outputs"].get<size_t>(), features);
  t::ExpectContributions(*got, e["contributions"], 1e-9, false, name);
  t::ExpectAdditivity(*got, e["raw"], features, 1e-9, name + " (sum = sklearn's raw output)");
}

TEST(SklearnContributions, MatchTheOraclesAndAddUpToTheModelOutput) {
  const nlohmann::json index = t::ReadFixtureJson(t::ExplainFixtures() / "index.json");
  ASSERT_TRUE(index.contains("sklearn"));
  int checked = 0;
  for (const auto& c : index["sklearn"]) {
    const std::string name = c.get<std::string>();
    if (name == "mlflow_forest") continue;  // below, through the MLflow loader
    SCOPED_TRACE(name);
    auto model = Load(kDir / name / "model.pkl");
    ASSERT_NE(model, nullptr);
    CheckCase(*model, t::ReadFixtureJson(kDir / name / "expected.json"), name);
    ++checked;
  }
  EXPECT_GE(checked, 24);
}

TEST(SklearnContributions, MlflowSklearnFlavorExplains) {
  runtime::RuntimeRegistry registry;
  registry.Register(NewSklearnRuntime());
  auto served = runtime::LoadModelDir(registry, kDir / "mlflow_forest", "forest");
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  CheckCase(*(*served)->model, t::ReadFixtureJson(kDir / "mlflow_forest" / "expected.json"),
            "mlflow_forest");
}

TEST(SklearnContributions, ModelsThatCannotExplainRefuseAndSayWhy) {
  const nlohmann::json refused = t::ReadFixtureJson(kDir / "refused.json");
  ASSERT_GE(refused.size(), 5u);
  for (const auto& r : refused) {
    const std::string name = r["case"].get<std::string>();
    SCOPED_TRACE(name);
    auto model = Load(kDir / "refused" / name / "model.pkl");
    ASSERT_NE(model, nullptr);
    EXPECT_FALSE(runtime::SupportsMethod(model->info(), PredictMethod::kContributions));
    auto got = model->Predict(t::RowsToFrame(r["X"]), PredictMethod::kContributions);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), StatusCode::kUnimplemented);
    const std::string& msg = got.status().message();
    EXPECT_NE(msg.find("cannot explain"), std::string::npos) << msg;
    EXPECT_NE(msg.find(model->info().description), std::string::npos) << msg;
    EXPECT_NE(msg.find("docs/explanations.md"), std::string::npos) << msg;
    // Predictions are unaffected.
    EXPECT_TRUE(model->Predict(t::RowsToFrame(r["X"]), PredictMethod::kPredict).ok());
  }
}

TEST(SklearnContributions, WrongInputWidthIsAnInputError) {
  auto model = Load(kDir / "rf_classifier" / "model.pkl");
  ASSERT_NE(model, nullptr);
  auto got = model->Predict(protocol::Frame::Numeric(1, 3), PredictMethod::kContributions);
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << got.status().ToString();
}

TEST(SklearnContributions, ConcurrentCallsAgree) {
  // Each thread has its own TreeSHAP scratch; results must not mix.
  auto model = Load(kDir / "gb_multiclass" / "model.pkl");
  ASSERT_NE(model, nullptr);
  const nlohmann::json e = t::ReadFixtureJson(kDir / "gb_multiclass" / "expected.json");
  protocol::Frame x = t::RowsToFrame(e["X"]);
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int n = 0; n < 50; ++n) {
        auto got = model->Predict(x, PredictMethod::kContributions);
        if (!got.ok()) {
          ++mismatches;
          continue;
        }
        const double* v = got->data<double>();
        size_t k = 0;
        for (const auto& row : e["contributions"]) {
          for (const auto& out : row) {
            for (const auto& w : out) {
              if (std::abs(v[k++] - w.get<double>()) > 1e-9) ++mismatches;
            }
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace ferry::sklearn
