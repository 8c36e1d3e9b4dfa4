#include "runtime/sklearn/tree_explain.h"

#include <algorithm>

#include "runtime/tree_shap.h"

namespace ferry::sklearn {
namespace {

// TreeModel as runtime::AddTreeShap sees it, with the leaf values one term
// contributes.
struct ShapView {
  const TreeModel& t;
  bool proba;
  size_t n_values;

  bool IsLeaf(int64_t n) const { return t.IsLeaf(n); }
  int64_t Left(int64_t n) const { return t.Left(n); }
  int64_t Right(int64_t n) const { return t.Right(n); }
  int64_t Feature(int64_t n) const { return t.Feature(n); }
  double Cover(int64_t n) const { return t.Cover(n); }
  bool GoesLeft(int64_t n, const double* x) const { return t.GoesLeft(n, x); }
  void LeafValues(int64_t n, double* out) const {
    if (proba) {
      // As predict_proba: the leaf's class weights over their sum.
      const double* v = t.Value(n, 0);
      double sum = 0.0;
      for (size_t c = 0; c < n_values; ++c) sum += v[c];
      if (sum == 0.0) sum = 1.0;
      for (size_t c = 0; c < n_values; ++c) out[c] = v[c] / sum;
      return;
    }
    for (size_t o = 0; o < n_values; ++o) out[o] = t.Value(n, o)[0];
  }
};

}  // namespace

TreeSumExplainer::TreeSumExplainer(Leaf leaf, size_t outputs, int64_t n_features,
                                   std::vector<double> base)
    : leaf_(leaf), outputs_(outputs), n_features_(n_features), bias_(std::move(base)) {
  bias_.resize(outputs_, 0.0);
}

void TreeSumExplainer::Add(std::shared_ptr<const TreeModel> tree, double scale, size_t first,
                           size_t n_values) {
  terms_.push_back(Term{std::move(tree), scale, first, n_values});
}

void TreeSumExplainer::Finish() {
  for (const Term& term : terms_) {
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
    runtime::AddTreeExpectation(ShapView{t, leaf_ == Leaf::kClassProba, term.n_values},
                                term.n_values, term.scale, bias_.data() + term.first);
  }
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
      runtime::AddTreeShap(ShapView{*term.tree, leaf_ == Leaf::kClassProba, term.n_values}, xr,
                           term.n_values, stride, term.scale, scratch, phi + term.first * stride);
    }
    for (size_t o = 0; o < outputs_; ++o) {
      phi[o * stride + p] = bias_[o];
    }
  }
}

}  // namespace ferry::sklearn
