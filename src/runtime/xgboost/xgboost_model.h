// XgboostModel: a runtime::Model over one libxgboost booster.
//
// What `predict` returns depends on how the model reached Ferry, mirroring the
// Python server it replaces:
//  - kBooster (KServe plain layout model.bst/.json/.ubj, or MLflow model_class
//    xgboost.core.Booster): exactly Booster.predict(DMatrix(X)) like KServe's
//    xgbserver — FP32 probabilities for binary:logistic ([N]) and
//    multi:softprob ([N, k]), class indices as FP32 for multi:softmax,
//    margins for binary:logitraw, values for reg:*; all trees.
//  - kClassifier (MLflow model_class XGBClassifier / XGBRFClassifier): like
//    XGBClassifier.predict — INT64 class labels [N] (argmax for multi-class,
//    p > 0.5 for binary), trees up to best_iteration when the model has one.
//  - kRegressor (other sklearn wrappers: XGBRegressor, XGBRanker, ...): FP32
//    values like XGBModel.predict, trees up to best_iteration.
// `predict_proba` (classification objectives only) returns FP32 [N, k] like
// XGBClassifier.predict_proba: [1-p, p] for binary:logistic, softmax of the
// margins for multi:softmax. `contributions` returns FP64 [N, F + 1] (or
// [N, groups, F + 1]) from XgboostExplainer over the same trees predict uses,
// when the runtime could build one. Other methods are Unimplemented.
//
// Immutable after construction; Predict is thread-safe (tree boosters predict
// concurrently; linear boosters are serialised by a mutex).
#pragma once

#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <string>

#include "runtime/model.h"
#include "runtime/xgboost/booster.h"
#include "runtime/xgboost/xgboost_explain.h"

namespace ferry::xgboost {

struct XgboostSettings {
  enum class Api { kBooster, kClassifier, kRegressor };
  Api api = Api::kBooster;
  std::string objective;      // "binary:logistic", ...
  std::string booster;        // "gbtree", "dart", "gblinear"
  int64_t n_classes = 0;      // classification objectives; 0 otherwise
  int64_t iteration_end = 0;  // 0 = all trees
  double missing = std::numeric_limits<double>::quiet_NaN();
};

class XgboostModel : public runtime::Model {
 public:
  // `explainer` may be null: contributions are then refused (info says why).
  XgboostModel(std::unique_ptr<Booster> booster, XgboostSettings settings, runtime::ModelInfo info,
               std::unique_ptr<XgboostExplainer> explainer = nullptr);

  const runtime::ModelInfo& info() const override { return info_; }
  StatusOr<protocol::Tensor> Predict(const protocol::Frame& x,
                                     runtime::PredictMethod method) const override;

  // Runs one all-missing row so libxgboost configures itself before the model
  // is shared between threads.
  Status WarmUp() const;

 private:
  // x's cells in the model's column order (by name when both sides have
  // names); `storage` holds them when they had to be reordered.
  struct Input {
    const double* data;
    uint64_t cols;
  };
  StatusOr<Input> Columns(const protocol::Frame& x, std::vector<double>* storage) const;
  StatusOr<Booster::Prediction> Run(const protocol::Frame& x, bool margin,
                                    int64_t iteration_end) const;
  StatusOr<protocol::Tensor> Contributions(const protocol::Frame& x) const;
  StatusOr<protocol::Tensor> PredictLabels(const protocol::Frame& x) const;
  StatusOr<protocol::Tensor> PredictProba(const protocol::Frame& x) const;
  protocol::Tensor EmptyResult(runtime::PredictMethod method) const;

  std::unique_ptr<Booster> booster_;
  XgboostSettings settings_;
  runtime::ModelInfo info_;
  std::unique_ptr<XgboostExplainer> explainer_;
  bool serialize_ = false;         // non-tree boosters: one prediction at a time
  mutable std::mutex predict_mu_;  // guards booster_ predictions when serialize_
};

// True for objectives whose output predict_proba can turn into probabilities.
bool IsClassification(const std::string& objective);

}  // namespace ferry::xgboost
