#include "runtime/sklearn/tree_explain.h"

#include <algorithm>
#include <climits>

#include "runtime/tree_shap.h"

namespace ferry::sklearn {

// One term's compact nodes as runtime::AddTreeShap sees them, with sklearn's
// split rule (TreeModel::GoesLeft: float32(x) <= threshold, NaN by
// missing_go_to_left when recorded).
struct TreeSumExplainer::ShapView {
  const ShapNode* nodes;
  const double* values;
  size_t n_values;

  bool IsLeaf(int64_t n) const { return nodes[n].left < 0; }
  int64_t Left(int64_t n) const { return nodes[n].left; }
  int64_t Right(int64_t n) const { return nodes[n].right; }
  int64_t Feature(int64_t n) const { return nodes[n].feature; }
  double CoverShare(int64_t n) const { return nodes[n].share; }
  bool GoesLeft(int64_t n, const double* x) const {
    const ShapNode& node = nodes[n];
    const double v = static_cast<double>(static_cast<float>(x[node.feature]));
    if (v != v && node.missing_left >= 0) return node.missing_left != 0;
    return v <= node.threshold;
  }
  const double* LeafValues(int64_t n) const { return values + n * n_values; }
};

TreeSumExplainer::TreeSumExplainer(Leaf leaf, size_t outputs, int64_t n_features,
                                   std::vector<double> base)
    : leaf_(leaf), outputs_(outputs), n_features_(n_features), bias_(std::move(base)) {
  bias_.resize(outputs_, 0.0);
}

void TreeSumExplainer::Add(std::shared_ptr<const TreeModel> tree, double scale, size_t first,
                           size_t n_values) {
  terms_.push_back(Term{std::move(tree), scale, first, n_values, {}, {}});
  // The walk indexes nodes with int32.
  if (terms_.back().tree->node_count() > INT32_MAX) refusal_ = "a tree has too many nodes";
}

void TreeSumExplainer::Finish() {
  if (!refusal_.empty()) return;
  bool positive_sums = leaf_ == Leaf::kClassProba && outputs_ == 2;
  for (Term& term : terms_) {
    const TreeModel& t = *term.tree;
    if (!t.has_cover()) {
      refusal_ =
          "its trees do not record how many training samples reached each node "
          "(tree_.weighted_n_node_samples), which TreeSHAP needs";
      return;
    }
    if (t.max_depth() > runtime::kMaxShapDepth) {
      refusal_ = "a tree is " + std::to_string(t.max_depth()) + " levels deep; Ferry explains " +
                 "trees up to " + std::to_string(runtime::kMaxShapDepth) + " levels";
      return;
    }
    max_depth_ = std::max(max_depth_, t.max_depth());
    const auto n = static_cast<int64_t>(t.node_count());
    term.nodes.assign(n, ShapNode{0.0, 1.0, -1, -1, 0, -1});
    term.values.assign(n * term.n_values, 0.0);
    for (int64_t i = 0; i < n; ++i) {
      if (t.IsLeaf(i)) {
        double* out = &term.values[i * term.n_values];
        if (leaf_ == Leaf::kClassProba) {
          // As predict_proba: the leaf's class weights over their sum.
          const double* v = t.Value(i, 0);
          double sum = 0.0;
          for (size_t c = 0; c < term.n_values; ++c) sum += v[c];
          positive_sums = positive_sums && sum > 0.0;
          if (sum == 0.0) sum = 1.0;
          for (size_t c = 0; c < term.n_values; ++c) out[c] = v[c] / sum;
        } else {
          for (size_t o = 0; o < term.n_values; ++o) out[o] = t.Value(i, o)[0];
        }
        continue;
      }
      ShapNode& node = term.nodes[i];
      node.threshold = t.Threshold(i);
      node.left = static_cast<int32_t>(t.Left(i));
      node.right = static_cast<int32_t>(t.Right(i));
      node.feature = static_cast<int32_t>(t.Feature(i));
      node.missing_left = t.MissingLeft(i);
      const double cover = t.Cover(i);
      for (int64_t child : {t.Left(i), t.Right(i)}) {
        term.nodes[child].share = cover > 0 ? t.Cover(child) / cover : 0.0;
      }
    }
    runtime::AddTreeExpectation(ShapView{term.nodes.data(), term.values.data(), term.n_values},
                                term.n_values, term.scale, bias_.data() + term.first);
  }
  binary_proba_ = positive_sums;
}

void TreeSumExplainer::Explain(const double* x, size_t rows, double* out) const {
  thread_local runtime::ShapScratch scratch;
  const auto p = static_cast<size_t>(n_features_);
  const size_t stride = p + 1;
  size_t max_values = 1;
  for (const Term& term : terms_) max_values = std::max(max_values, term.n_values);
  scratch.Reserve(max_depth_, n_features_, max_values);
  std::fill(out, out + rows * outputs_ * stride, 0.0);
  for (size_t r = 0; r < rows; ++r) {
    double* phi = out + r * outputs_ * stride;
    const double* xr = x + r * p;
    for (const Term& term : terms_) {
      if (binary_proba_) {
        // Class 1's values are the second of each leaf's pair.
        const ShapView one{term.nodes.data(), term.values.data() + 1, 2};
        runtime::AddTreeShap(one, xr, 1, stride, term.scale, scratch, phi + stride);
      } else {
        const ShapView view{term.nodes.data(), term.values.data(), term.n_values};
        runtime::AddTreeShap(view, xr, term.n_values, stride, term.scale, scratch,
                             phi + term.first * stride);
      }
    }
    if (binary_proba_) {
      for (size_t f = 0; f < p; ++f) phi[f] = -phi[stride + f];
    }
    for (size_t o = 0; o < outputs_; ++o) {
      phi[o * stride + p] = bias_[o];
    }
  }
}

}  // namespace ferry::sklearn
