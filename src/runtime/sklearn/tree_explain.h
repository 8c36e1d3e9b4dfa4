// TreeSumExplainer: exact TreeSHAP contributions (runtime/tree_shap.h) for a
// weighted sum of scikit-learn trees — forests (each tree scaled by 1/T),
// gradient boosting (learning_rate, one tree per class and stage) and single
// decision trees.
//
// Built once by the estimator's builder (tree.cc, boosting.cc) and immutable
// afterwards; Explain is thread-safe (its scratch is thread_local). The trees
// are shared with the estimator (shared_ptr<const TreeModel>).
//
// Output space: what the ensemble adds up — averaged normalised class counts
// (predict_proba) for forest and tree classifiers, leaf values for
// regressors, raw scores (decision_function) for gradient boosting, whose
// initial raw prediction goes into the bias.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "runtime/sklearn/tree_model.h"

namespace ferry::sklearn {

class TreeSumExplainer {
 public:
  // kClassProba: a tree contributes its leaf's class counts divided by their
  // sum to outputs 0..k-1. kValues: value[leaf, o] to outputs first..first+n-1.
  enum class Leaf { kClassProba, kValues };

  // `outputs` raw outputs over `n_features` inputs; `base` (outputs values)
  // is added to the bias.
  TreeSumExplainer(Leaf leaf, size_t outputs, int64_t n_features, std::vector<double> base);

  // Adds scale × tree's values to `n_values` outputs starting at `first`.
  void Add(std::shared_ptr<const TreeModel> tree, double scale, size_t first, size_t n_values);

  // Computes the bias once every tree is added; afterwards `refusal()` says
  // why the ensemble cannot be explained (a tree without node weights, or
  // deeper than runtime::kMaxShapDepth), empty when it can.
  void Finish();
  const std::string& refusal() const { return refusal_; }
  size_t outputs() const { return outputs_; }

  // rows x outputs x (n_features + 1), bias last; x is rows x n_features.
  void Explain(const double* x, size_t rows, double* out) const;

 private:
  // One node, compact (the walk streams every node of every tree per row).
  struct ShapNode {
    double threshold;
    double share;  // of the parent's cover (0 when the parent has none)
    int32_t left;  // -1 for a leaf
    int32_t right;
    int32_t feature;
    int8_t missing_left;  // as TreeModel: -1 when NaN follows the comparison
  };
  struct ShapView;
  struct Term {
    std::shared_ptr<const TreeModel> tree;
    double scale;
    size_t first;
    size_t n_values;
    // Precomputed by Finish: the tree's nodes as TreeSHAP walks them, and
    // each leaf's n_values values.
    std::vector<ShapNode> nodes;
    std::vector<double> values;
  };
  Leaf leaf_;
  size_t outputs_;
  int64_t n_features_;
  std::vector<double> bias_;
  std::vector<Term> terms_;
  int32_t max_depth_ = 0;
  // Two-class probabilities: only class 1 is walked; class 0 gets the
  // negated contributions (p0 = 1 - p1 at every leaf).
  bool binary_proba_ = false;
  std::string refusal_;
};

}  // namespace ferry::sklearn
