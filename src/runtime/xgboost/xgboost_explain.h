// XgboostExplainer: exact contributions for XGBoost boosters, computed by
// Ferry from the model's own JSON (trees, covers, base_score, objective) —
// path-dependent TreeSHAP (runtime/tree_shap.h) for gbtree and dart, w·x for
// gblinear — in the layout of XGBoost's `pred_contribs`: per output group
// (class), one value per feature and the bias last; the bias holds the base
// margin (base_score in margin space) plus each tree's cover-weighted mean.
// Values are float64 over XGBoost's float32 leaves and thresholds, so they add
// up to the margin summed in double precision; libxgboost's own pred_contribs
// and margins are float32 and agree to float32 rounding.
//
// Built once by the XGBoost runtime at load (Parse, then Check against
// libxgboost's margins) and immutable afterwards; Explain is thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace ferry::xgboost {

class XgboostExplainer {
 public:
  // Reads the model JSON (Booster::SaveModelJson). `iteration_end` limits the
  // trees to the first rounds as predict does (0: all); `missing` is the
  // value that means missing besides NaN. FailedPrecondition says why a model
  // cannot be explained (categorical splits, an objective whose base margin
  // Ferry does not know, ...); InvalidArgument means the JSON is not what
  // libxgboost 1.7 writes.
  static StatusOr<XgboostExplainer> Parse(const std::string& model_json, int64_t iteration_end,
                                          double missing);

  size_t outputs() const { return groups_; }
  int64_t n_features() const { return n_features_; }

  // rows x outputs() x (n_features() + 1), bias last; x is rows x n_features().
  void Explain(const double* x, size_t rows, double* out) const;

  // The margin of row x for `group` summed in double: what the contributions
  // of that group add up to. `magnitude` (optional) receives the sum of the
  // absolute values of its terms, a scale for float32 rounding.
  double Margin(const double* x, size_t group, double* magnitude = nullptr) const;

  // The parsed model (public for the parser in xgboost_explain.cc).
  struct Node {
    int32_t left;  // -1 for a leaf
    int32_t right;
    int32_t feature;
    float split;
    bool default_left;
    double cover;
    double share;  // cover / the parent's cover (0 when that is 0)
    double value;  // leaf value
  };
  struct Tree {
    std::vector<Node> nodes;
    size_t group = 0;
    double weight = 1.0;  // dart's weight_drop
    int32_t max_depth = 0;
  };

 private:
  struct TreeView;
  bool Missing(double v) const;

  std::vector<Tree> trees_;
  std::vector<double> linear_;  // gblinear: (n_features + 1) x groups, bias row last
  bool linear_model_ = false;
  std::vector<double> bias_;  // per group
  double base_margin_ = 0.0;
  size_t groups_ = 1;
  int64_t n_features_ = 0;
  int32_t max_depth_ = 0;
  double missing_ = 0.0;
  bool missing_is_nan_ = true;
};

}  // namespace ferry::xgboost
