// TreeModel: one fitted sklearn.tree._tree.Tree, flattened for prediction.
// Shared by decision trees, forests and gradient boosting. Traversal casts
// X to float32 first, as sklearn validates tree input with dtype=float32;
// comparing float64 X directly flips samples that sit between float32(x)
// and a threshold. Immutable after Load; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "pickle/value.h"
#include "runtime/sklearn/build_context.h"

namespace ferry::sklearn {

class TreeModel {
 public:
  // `tree` is the estimator's tree_ value; `who` names the estimator in errors.
  static StatusOr<TreeModel> Load(const pickle::Value* tree, const std::string& who);
  // Load, shared by identity within one model load and charged to ctx's budget.
  static StatusOr<std::shared_ptr<const TreeModel>> Shared(const pickle::Value* tree,
                                                           const std::string& who,
                                                           BuildContext& ctx);

  // Index of the leaf row x (n_features doubles) falls in.
  int64_t Leaf(const double* x) const {
    int64_t i = 0;
    while (nodes_[i].left >= 0) {
      i = GoesLeft(i, x) ? nodes_[i].left : nodes_[i].right;
    }
    return i;
  }
  // Whether row x goes to the left child of internal node i.
  bool GoesLeft(int64_t i, const double* x) const {
    const Node& n = nodes_[i];
    const double v = static_cast<double>(static_cast<float>(x[n.feature]));
    if (v != v && n.missing_left >= 0) {
      return n.missing_left != 0;
    }
    return v <= n.threshold;
  }
  // Node structure, for TreeSHAP (runtime/tree_shap.h).
  int64_t node_count() const { return static_cast<int64_t>(nodes_.size()); }
  bool IsLeaf(int64_t i) const { return nodes_[i].left < 0; }
  int64_t Left(int64_t i) const { return nodes_[i].left; }
  int64_t Right(int64_t i) const { return nodes_[i].right; }
  int64_t Feature(int64_t i) const { return nodes_[i].feature; }
  double Threshold(int64_t i) const { return nodes_[i].threshold; }
  // How NaN is routed: 1 left, 0 right, -1 by the comparison (not recorded).
  int8_t MissingLeft(int64_t i) const { return nodes_[i].missing_left; }
  // Training weight that reached node i (tree_.weighted_n_node_samples, else
  // n_node_samples; empty when the pickle has neither).
  bool has_cover() const { return !cover_.empty(); }
  double Cover(int64_t i) const { return cover_[i]; }
  int32_t max_depth() const { return max_depth_; }
  // values[leaf, output, 0..n_classes) (classifier counts or regression value).
  const double* Value(int64_t node, size_t output) const {
    return &values_[(node * n_outputs_ + output) * max_classes_];
  }
  // Depth of a node (the root is 0) and its training sample count
  // (tree_.n_node_samples; 0 when the pickle lacks it).
  int32_t Depth(int64_t node) const { return depth_[node]; }
  bool has_node_samples() const { return !node_samples_.empty(); }
  double NodeSamples(int64_t node) const {
    return node_samples_.empty() ? 0.0 : node_samples_[node];
  }
  size_t n_outputs() const { return n_outputs_; }
  size_t max_classes() const { return max_classes_; }
  int64_t n_features() const { return n_features_; }

 private:
  struct Node {
    int64_t left;
    int64_t right;
    int64_t feature;
    double threshold;
    int8_t missing_left;  // -1: no missing-value routing recorded (sklearn < 1.3)
  };
  std::vector<Node> nodes_;
  std::vector<int32_t> depth_;
  std::vector<double> node_samples_;
  std::vector<double> cover_;
  int32_t max_depth_ = 0;
  std::vector<double> values_;
  size_t n_outputs_ = 1;
  size_t max_classes_ = 1;
  int64_t n_features_ = 0;
};

}  // namespace ferry::sklearn
