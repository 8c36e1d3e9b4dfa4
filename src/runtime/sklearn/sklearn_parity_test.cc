// Parity suite: every estimator x every save format against scikit-learn's
// own outputs. tests/fixtures/sklearn/gen_sklearn.py (Debian's python3 with
// sklearn 1.2.1) fits the models and records predict / predict_proba /
// predict_log_proba / decision_function; this test loads each file with the
// native runtime and compares. Labels must match exactly; numbers within
// tol * max(1, |expected|) (1e-9, or 1e-7 for SVC probabilities).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "runtime/sklearn/sklearn_fixtures.h"
#include "runtime/sklearn/sklearn_runtime.h"

namespace ferry::sklearn {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using runtime::PredictMethod;

const fs::path& FixtureDir() { return SklearnFixtureDir(); }

json ReadJson(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

protocol::Frame FrameFromJson(const json& e) {
  const json& X = e["X"];
  const size_t rows = X.size();
  const size_t cols = rows ? X[0].size() : 0;
  protocol::Frame f = protocol::Frame::Numeric(rows, cols);
  if (e["columns"].is_array()) {
    for (const auto& c : e["columns"]) {
      f.names.push_back(c.get<std::string>());
    }
  }
  for (size_t c = 0; c < cols; ++c) {
    bool is_string = false;
    for (size_t r = 0; r < rows; ++r) {
      is_string = is_string || X[r][c].is_string();
    }
    if (is_string) {
      f.MakeStringColumn(c);
    }
    for (size_t r = 0; r < rows; ++r) {
      const json& v = X[r][c];
      if (v.is_null()) {
        f.numeric[r * cols + c] = std::nan("");
        if (is_string) {
          f.missing[r * cols + c] = 1;
        }
      } else if (is_string) {
        f.strings[r * cols + c] = v.is_string() ? v.get<std::string>() : v.dump();
      } else {
        f.numeric[r * cols + c] = v.get<double>();
      }
    }
  }
  return f;
}

double JsonNumber(const json& v) {
  if (v.is_null()) {
    return std::nan("");
  }
  if (v.is_string()) {
    return std::stod(v.get<std::string>());  // "inf" / "-inf"
  }
  return v.get<double>();
}

void ExpectClose(const protocol::Tensor& t, const json& expected, double tol,
                 const std::string& what) {
  std::vector<double> want;
  std::vector<int64_t> shape{static_cast<int64_t>(expected.size())};
  for (const auto& row : expected) {
    if (row.is_array()) {
      for (const auto& v : row) {
        want.push_back(JsonNumber(v));
      }
    } else {
      want.push_back(JsonNumber(row));
    }
  }
  if (!expected.empty() && expected[0].is_array()) {
    shape.push_back(expected[0].size());
  }
  ASSERT_EQ(t.datatype, protocol::DataType::kFp64) << what;
  ASSERT_EQ(t.shape, shape) << what;
  ASSERT_EQ(t.num_elements(), static_cast<int64_t>(want.size())) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    const double got = t.AsDouble(static_cast<int64_t>(i));
    if (std::isinf(want[i]) || std::isnan(want[i])) {
      EXPECT_TRUE(got == want[i] || (std::isnan(got) && std::isnan(want[i])))
          << what << "[" << i << "] got " << got << " want " << want[i];
      continue;
    }
    EXPECT_NEAR(got, want[i], tol * std::max(1.0, std::fabs(want[i]))) << what << "[" << i << "]";
  }
}

void ExpectLabels(const protocol::Tensor& t, const json& e) {
  const json& want = e["predict"];
  const std::string kind = e["predict_kind"];
  if (kind == "i" || kind == "u" || kind == "b") {
    ASSERT_EQ(t.datatype, protocol::DataType::kInt64);
    ASSERT_EQ(t.num_elements(), static_cast<int64_t>(want.size()));
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(t.data<int64_t>()[i], want[i].get<int64_t>()) << "predict[" << i << "]";
    }
  } else if (kind == "f") {
    ExpectClose(t, want, e["tol"].get<double>(), "predict");
  } else {
    ASSERT_EQ(t.datatype, protocol::DataType::kBytes);
    ASSERT_EQ(t.bytes.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(t.bytes[i], want[i].get<std::string>()) << "predict[" << i << "]";
    }
  }
}

class SklearnParity : public ::testing::TestWithParam<std::string> {};

TEST_P(SklearnParity, EveryFormatMatchesSklearn) {
  const fs::path dir = FixtureDir() / GetParam();
  ASSERT_TRUE(fs::exists(dir / "expected.json")) << dir;
  const json e = ReadJson(dir / "expected.json");
  const protocol::Frame x = FrameFromJson(e);
  auto rt = NewSklearnRuntime();
  for (const auto& file : e["files"]) {
    SCOPED_TRACE(file.get<std::string>());
    auto model = rt->LoadFile(dir / file.get<std::string>(), {});
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    const runtime::ModelInfo& info = (*model)->info();
    EXPECT_EQ(info.n_features, e["n_features_in"].get<int64_t>());
    EXPECT_TRUE(info.warnings.empty()) << info.warnings[0];
    auto pred = (*model)->Predict(x, PredictMethod::kPredict);
    ASSERT_TRUE(pred.ok()) << pred.status().ToString();
    ExpectLabels(*pred, e);
    EXPECT_EQ(pred->datatype, info.output_datatype);
    const std::pair<PredictMethod, const char*> methods[] = {
        {PredictMethod::kPredictProba, "predict_proba"},
        {PredictMethod::kPredictLogProba, "predict_log_proba"},
        {PredictMethod::kDecisionFunction, "decision_function"}};
    for (const auto& [m, key] : methods) {
      auto out = (*model)->Predict(x, m);
      if (e[key].is_null()) {
        EXPECT_FALSE(out.ok()) << key << " should be unavailable, as in sklearn";
        continue;
      }
      ASSERT_TRUE(out.ok()) << key << ": " << out.status().ToString();
      const double tol = std::string(key) == "decision_function" ? e["tol"].get<double>()
                                                                 : e["proba_tol"].get<double>();
      ExpectClose(*out, e[key], tol, key);
    }
  }
}

// The order matches the runtime's priority list of estimators.
INSTANTIATE_TEST_SUITE_P(
    Estimators, SklearnParity,
    ::testing::Values("logreg_seed", "logreg_multinomial", "logreg_ovr", "logreg_binary",
                      "logreg_binary_multinomial", "logreg_liblinear", "logreg_strings", "linreg",
                      "linreg_multi", "ridge", "lasso", "elasticnet", "pipe_scaler_logreg",
                      "pipe_minmax_ridge", "pipe_minmax_noclip_linreg", "pipe_scaler_nomean", "dtc",
                      "dtr", "dtc_strings", "rfc", "rfr", "etc", "etr", "pipe_imputer_logreg",
                      "pipe_imputer_median_indicator", "pipe_imputer_constant", "pipe_ohe_logreg",
                      "pipe_mixed_columntransformer", "ct_mixed_index", "ct_index_passthrough",
                      "ct_index_drop", "gbc_binary", "gbc_multi", "gbr", "hgbc", "hgbc_binary",
                      "hgbr", "hgbc_categorical", "sgd_hinge", "sgd_log", "sgdr", "linearsvc",
                      "linearsvc_binary", "svc_rbf", "svc_rbf_binary", "svc_linear_ovo", "svc_poly",
                      "svc_sigmoid", "nusvc", "svr", "knn", "knn_distance", "knr", "gnb", "mnb",
                      "bnb", "pipe_maxabs_logreg", "pipe_robust_ridge", "pipe_normalizer_logreg",
                      "pipe_ordinal_dtc", "pipe_poly_ridge", "pipe_poly_interaction", "logreg_cv",
                      "ridge_classifier", "ridge_classifier_cv_binary_strings",
                      "ridge_classifier_strings", "perceptron", "passive_aggressive", "ridgecv",
                      "lassocv", "elasticnetcv", "lars", "lassolars", "lassolarsic", "omp",
                      "bayesian_ridge", "ard", "huber", "theilsen", "quantile",
                      "passive_aggressive_regressor", "multitask_lasso", "ridge_multi_nointercept",
                      "mlp_multiclass", "mlp_binary_tanh_strings", "mlp_logistic_lbfgs",
                      "mlp_regressor", "mlp_regressor_multi_identity", "pipe_pca_logreg",
                      "pipe_pca_whiten_svc", "pipe_incremental_pca_ridge", "pipe_tsvd_knn",
                      "pipe_binarizer_bnb", "pipe_variance_threshold_dtc", "pipe_kbest_logreg",
                      "pipe_kbest_chi2_mnb", "pipe_percentile_ridge", "pipe_kbest_all_pca_mlp", "lda",
                      "lda_binary_eigen_strings", "pipe_lda_knn", "pipe_lda_eigen_logreg", "kmeans",
                      "pipe_minibatch_kmeans", "voting_hard_strings", "voting_soft_weighted",
                      "voting_hard_weighted_binary", "voting_regressor",
                      "pipe_feature_union_logreg", "bagging_trees", "bagging_svc_votes",
                      "bagging_knn_missing_classes", "bagging_logreg_binary", "bagging_regressor",
                      "adaboost_sammer", "adaboost_samme_strings", "adaboost_binary",
                      "adaboost_regressor", "stacking_classifier", "stacking_binary_passthrough",
                      "stacking_regressor", "calibrated_sigmoid_svc",
                      "calibrated_isotonic_rf_strings", "calibrated_isotonic_binary",
                      "calibrated_sigmoid_binary_noensemble", "ttr_log1p", "ttr_scaler_multi",
                      "ttr_minmax", "pipe_function_sqrt_logreg", "qda", "qda_binary_reg_strings",
                      "nearest_centroid", "nearest_centroid_manhattan", "pipe_kbins_onehot_logreg",
                      "pipe_kbins_ordinal_uniform_dtr", "pipe_kbins_kmeans_ridge",
                      "pipe_power_yj_ridge", "pipe_power_boxcox_logreg", "text_count_mnb",
                      "text_tfidf_logreg", "text_tfidf_bigrams_stop_sublinear",
                      "text_char_wb_binary", "text_char_nolower_tfidf_ridge",
                      "text_english_unigrams", "linear_svr", "poisson", "gamma",
                      "tweedie_identity", "tweedie_log", "isolation_forest",
                      "isolation_forest_features", "logreg_extreme_int_labels"),
    [](const auto& info) { return info.param; });

// Every case the generator writes is one of the parity tests above.
TEST(SklearnParityList, CoversEveryGeneratedCase) {
  const json index = ReadJson(FixtureDir() / "index.json");
  const auto* ut = ::testing::UnitTest::GetInstance();
  for (const auto& c : index["cases"]) {
    const std::string name = c.get<std::string>();
    bool found = false;
    for (int i = 0; i < ut->total_test_suite_count() && !found; ++i) {
      const auto* suite = ut->GetTestSuite(i);
      if (std::string(suite->name()) != "Estimators/SklearnParity") continue;
      for (int j = 0; j < suite->total_test_count() && !found; ++j) {
        found = std::string(suite->GetTestInfo(j)->name()) == "EveryFormatMatchesSklearn/" + name;
      }
    }
    EXPECT_TRUE(found) << "generated case " << name << " has no parity test; add it to the list";
  }
}

TEST(SklearnRuntime, SeedModelPredictsVersicolorForTheTutorialRequest) {
  auto rt = NewSklearnRuntime();
  for (const char* file : {"model.cloudpickle.pkl", "model.joblib"}) {
    auto model = rt->LoadFile(FixtureDir() / "logreg_seed" / file, {});
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    protocol::Frame x = protocol::Frame::Numeric(2, 4);
    x.numeric = {6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6};
    auto out = (*model)->Predict(x, PredictMethod::kPredict);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ(out->datatype, protocol::DataType::kInt64);
    ASSERT_EQ(out->shape, (protocol::Shape{2}));
    EXPECT_EQ(out->data<int64_t>()[0], 1);
    EXPECT_EQ(out->data<int64_t>()[1], 1);
    const runtime::ModelInfo& info = (*model)->info();
    EXPECT_EQ(info.framework, "sklearn");
    EXPECT_EQ(info.n_features, 4);
    EXPECT_EQ(info.classes, (std::vector<std::string>{"0", "1", "2"}));
    EXPECT_EQ(info.methods.front(), PredictMethod::kPredict);
  }
}

// Many one-row predicts on one model give the same answer (the cost is
// measured in bench/, not asserted here).
TEST(SklearnRuntime, RepeatedOneRowPredictsAreStable) {
  auto rt = NewSklearnRuntime();
  auto model = rt->LoadFile(FixtureDir() / "logreg_seed" / "model.p5.pkl", {});
  ASSERT_TRUE(model.ok());
  protocol::Frame x = protocol::Frame::Numeric(1, 4);
  x.numeric = {6.8, 2.8, 4.8, 1.4};
  constexpr int kIters = 200000;
  int64_t checksum = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kIters; ++i) {
    auto out = (*model)->Predict(x, PredictMethod::kPredict);
    checksum += out->data<int64_t>()[0];
  }
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
      kIters;
  EXPECT_EQ(checksum, kIters);
  std::printf("one-row LogisticRegression predict: %.0f ns (informational)\n", ns);
}

TEST(SklearnRuntime, RuntimeIdentity) {
  auto rt = NewSklearnRuntime();
  EXPECT_EQ(rt->name(), "sklearn");
  EXPECT_EQ(rt->mlflow_flavor(), "sklearn");
  EXPECT_EQ(rt->plain_file_names(),
            (std::vector<std::string>{"model.joblib", "model.pkl", "model.pickle"}));
}

TEST(SklearnRuntime, WrongFeatureCountIsInvalidArgument) {
  auto rt = NewSklearnRuntime();
  auto model = rt->LoadFile(FixtureDir() / "logreg_seed" / "model.p5.pkl", {});
  ASSERT_TRUE(model.ok());
  auto out = (*model)->Predict(protocol::Frame::Numeric(1, 3), PredictMethod::kPredict);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("4 features"), std::string::npos);
}

TEST(SklearnRuntime, NegativeFixturesAreRefusedWithoutRunningAnything) {
  const fs::path dir = FixtureDir() / "negative";
  const json list = ReadJson(dir / "expected.json");
  ASSERT_GE(list.size(), 5u);
  auto rt = NewSklearnRuntime();
  for (const auto& n : list) {
    const std::string file = n["file"];
    SCOPED_TRACE(file);
    auto model = rt->LoadFile(dir / file, {});
    ASSERT_FALSE(model.ok());
    EXPECT_NE(model.status().message().find(n["error"].get<std::string>()), std::string::npos)
        << model.status().message();
    EXPECT_NE(model.status().message().find(file), std::string::npos)
        << "error should name the file: " << model.status().message();
  }
}

TEST(SklearnRuntime, UnknownEstimatorListsSupportedOnes) {
  auto rt = NewSklearnRuntime();
  auto model = rt->LoadFile(FixtureDir() / "negative" / "agglomerative.p5.pkl", {});
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(model.status().message().find("AgglomerativeClustering"), std::string::npos);
  EXPECT_NE(model.status().message().find("LogisticRegression"), std::string::npos);
}

}  // namespace
}  // namespace ferry::sklearn
