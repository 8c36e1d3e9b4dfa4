// Contributions of the XGBoost runtime against tests/fixtures/explain's
// oracles: brute-force Shapley values over the booster's own trees in double
// precision (to 1e-9, adding up to the margin summed in double to 1e-9), and
// xgboost's own pred_contribs and margins, which are float32 (to float32
// rounding: 1e-6 of the row's magnitude). Categorical splits are refused.
#include <gtest/gtest.h>

#include "runtime/contributions_fixtures.h"
#include "runtime/xgboost/xgboost_runtime.h"

namespace ferry::xgboost {
namespace {

namespace fs = std::filesystem;
using runtime::PredictMethod;
namespace t = runtime::testing;

const fs::path kDir = t::ExplainFixtures() / "xgboost";

std::unique_ptr<runtime::Model> Load(const fs::path& file) {
  auto model = NewXgboostRuntime()->LoadFile(file, {});
  EXPECT_TRUE(model.ok()) << file << ": " << model.status().ToString();
  return model.ok() ? std::move(model).value() : nullptr;
}

TEST(XgboostContributions, MatchTheOracleAndXgboostPredContribs) {
  const nlohmann::json index = t::ReadFixtureJson(t::ExplainFixtures() / "index.json");
  ASSERT_TRUE(index.contains("xgboost"));
  int checked = 0;
  for (const auto& c : index["xgboost"]) {
    const std::string name = c.get<std::string>();
    SCOPED_TRACE(name);
    auto model = Load(kDir / name / "model.json");
    ASSERT_NE(model, nullptr);
    EXPECT_TRUE(runtime::SupportsMethod(model->info(), PredictMethod::kContributions))
        << model->info().contributions_refusal;
    const nlohmann::json e = t::ReadFixtureJson(kDir / name / "expected.json");
    protocol::Frame x = t::RowsToFrame(e["X"]);
    auto got = model->Predict(x, PredictMethod::kContributions);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const auto features = e["n_features"].get<size_t>();
    t::ExpectContributionsShape(*got, x.rows, e["outputs"].get<size_t>(), features);
    t::ExpectContributions(*got, e["contributions"], 1e-9, false, name + " vs the oracle");
    t::ExpectAdditivity(*got, e["exact_margin"], features, 1e-9, name + " (sum = margin)");
    t::ExpectContributions(*got, e["pred_contribs"], 1e-6, true, name + " vs pred_contribs");
    ++checked;
  }
  EXPECT_GE(checked, 7);
}

TEST(XgboostContributions, SumsMatchLibxgboostMarginsToFloat32) {
  for (const char* name : {"binary", "multiclass", "regression", "dart", "gblinear"}) {
    SCOPED_TRACE(name);
    auto model = Load(kDir / name / "model.json");
    ASSERT_NE(model, nullptr);
    const nlohmann::json e = t::ReadFixtureJson(kDir / name / "expected.json");
    auto got = model->Predict(t::RowsToFrame(e["X"]), PredictMethod::kContributions);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const auto features = e["n_features"].get<size_t>();
    const double* v = got->data<double>();
    size_t i = 0;
    for (const auto& row : e["margin"]) {
      for (const auto& m : row) {
        double sum = 0, size = 0;
        for (size_t f = 0; f <= features; ++f, ++i) {
          sum += v[i];
          size += std::abs(v[i]);
        }
        EXPECT_NEAR(sum, m.get<double>(), 1e-6 * (1 + size));
      }
    }
  }
}

TEST(XgboostContributions, GblinearPredictsThroughADMatrix) {
  // libxgboost has no in-place prediction for linear boosters.
  auto model = Load(kDir / "gblinear" / "model.json");
  ASSERT_NE(model, nullptr);
  const nlohmann::json e = t::ReadFixtureJson(kDir / "gblinear" / "expected.json");
  auto pred = model->Predict(t::RowsToFrame(e["X"]), PredictMethod::kPredict);
  ASSERT_TRUE(pred.ok()) << pred.status().ToString();
  ASSERT_EQ(pred->num_elements(), static_cast<int64_t>(e["margin"].size()));
  for (size_t r = 0; r < e["margin"].size(); ++r) {
    const double want = e["margin"][r][0].get<double>();  // reg:squarederror: predict = margin
    EXPECT_NEAR(pred->data<float>()[r], want, 1e-6 * (1 + std::abs(want)));
  }
}

TEST(XgboostContributions, CategoricalSplitsAreRefusedNotGuessed) {
  auto model = Load(kDir / "refused" / "model.json");
  ASSERT_NE(model, nullptr);
  EXPECT_FALSE(runtime::SupportsMethod(model->info(), PredictMethod::kContributions));
  protocol::Frame x = protocol::Frame::Numeric(1, 2);
  auto got = model->Predict(x, PredictMethod::kContributions);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(got.status().message().find("categorical splits"), std::string::npos)
      << got.status().message();
  EXPECT_TRUE(model->Predict(x, PredictMethod::kPredict).ok());
}

TEST(XgboostContributions, MlflowClassifierExplainsTheTreesItPredictsWith) {
  // The early-stopped regressor of the runtime's own fixtures: the sklearn
  // wrapper predicts with best_iteration's trees, and so do contributions.
  const fs::path dir = fs::path(FERRY_BINARY_DIR) / "fixtures" / "xgboost" / "regressor";
  runtime::LoadOptions wrapper;
  wrapper.model_class = "xgboost.sklearn.XGBRegressor";
  auto early = NewXgboostRuntime()->LoadFile(dir / "json" / "model.json", wrapper);
  auto all = NewXgboostRuntime()->LoadFile(dir / "json" / "model.json", {});
  ASSERT_TRUE(early.ok() && all.ok());
  protocol::Frame x = protocol::Frame::Numeric(1, static_cast<size_t>((*all)->info().n_features));
  auto pred = (*early)->Predict(x, PredictMethod::kPredict);
  auto phi_early = (*early)->Predict(x, PredictMethod::kContributions);
  auto phi_all = (*all)->Predict(x, PredictMethod::kContributions);
  ASSERT_TRUE(pred.ok() && phi_early.ok() && phi_all.ok());
  double sum_early = 0, sum_all = 0;
  for (int64_t i = 0; i < phi_early->num_elements(); ++i) {
    sum_early += phi_early->data<double>()[i];
    sum_all += phi_all->data<double>()[i];
  }
  EXPECT_NEAR(sum_early, pred->data<float>()[0], 1e-4 * (1 + std::abs(sum_early)));
  EXPECT_GT(std::abs(sum_early - sum_all), 1e-3) << "early stopping made no difference";
}

}  // namespace
}  // namespace ferry::xgboost
