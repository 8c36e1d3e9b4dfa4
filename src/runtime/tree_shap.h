// TreeShap: exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018,
// "Consistent Individualized Feature Attribution for Tree Ensembles",
// Algorithm 2) for one binary decision tree, shared by the scikit-learn and
// XGBoost runtimes.
//
// What it computes: the Shapley values of the set function
//   v(S) = E[f(x) | x_S], where a node splitting on a feature in S sends x
//   down the branch x takes, and a node splitting on a feature outside S
//   averages its children weighted by their share of the node's training
//   cover (sklearn's weighted_n_node_samples, HGB's count, XGBoost's
//   sum_hessian).
// phi_f is feature f's contribution; sum(phi) + v({}) = f(x) exactly (the
// efficiency property), and v({}) — the tree's cover-weighted mean leaf value
// — is the bias (TreeExpectation). A tree of L leaves and depth D costs
// O(L * D^2) per row, independent of the number of features.
//
// DESIGN: the tree is a template parameter so each runtime keeps its own node
// layout and split rule (sklearn's float32 `<=`, XGBoost's float `<` with a
// default direction, HGB's categorical bitsets) and the walk inlines them. A
// Tree provides:
//   bool IsLeaf(int64_t n); int64_t Left(n), Right(n); int64_t Feature(n);
//   double Cover(n); bool GoesLeft(int64_t n, const double* x);
//   void LeafValues(int64_t n, double* out)   // n_outputs values
// with node 0 the root. The path-weight arithmetic (Extend/Unwind) is plain
// functions over ShapPathElement arrays.
//
// Threads: stateless; the caller owns the ShapScratch (one per thread or per
// call). Recursion depth equals the tree depth: callers refuse trees deeper
// than kMaxShapDepth at load time.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ferry::runtime {

// Deepest tree explained; deeper trees are refused at load (their recursion
// and O(depth^2) scratch are not worth a request thread).
inline constexpr int32_t kMaxShapDepth = 512;

// One feature on the unique path from the root to the current node: the
// fraction of cover that reaches here through its splits when the feature is
// absent (zero), whether x itself reaches here through them (one: 0 or 1),
// and `weight`, the share of the path's feature subsets of each size
// (indexed by position, not by feature).
struct ShapPathElement {
  int64_t feature;
  double zero;
  double one;
  double weight;
};

// Grows the path m[0..depth) by one element (feature, zero, one) at index
// `depth` and updates every subset-size weight.
void ShapExtend(ShapPathElement* m, int depth, double zero, double one, int64_t feature);

// Removes element `index` from the path m[0..depth] (depth = last index),
// undoing its Extend; the path keeps depth elements.
void ShapUnwind(ShapPathElement* m, int depth, int index);

// At a leaf reached through the path m[0..depth]: adds each path feature's
// weight times `leaf[o]` into phi[o * stride + feature].
void ShapAddLeaf(const ShapPathElement* m, int depth, const double* leaf, size_t n_outputs,
                 size_t stride, double* phi);

// Reusable per-thread workspace for AddTreeShap.
class ShapScratch {
 public:
  // Sizes the workspace for trees up to `max_depth` deep over `n_features`
  // features with `n_outputs` leaf values.
  void Reserve(int32_t max_depth, int64_t n_features, size_t n_outputs) {
    // A path holds at most one element per distinct feature, plus the root.
    const auto width = static_cast<size_t>(std::min<int64_t>(max_depth, n_features) + 2);
    const auto levels = static_cast<size_t>(max_depth) + 2;
    segment_ = width;
    if (path_.size() < levels * width) path_.resize(levels * width);
    if (leaf_.size() < n_outputs) leaf_.resize(n_outputs);
  }
  ShapPathElement* level(int32_t l) { return path_.data() + static_cast<size_t>(l) * segment_; }
  double* leaf() { return leaf_.data(); }

 private:
  std::vector<ShapPathElement> path_;
  std::vector<double> leaf_;
  size_t segment_ = 0;
};

namespace internal {

template <typename Tree>
struct ShapWalk {
  const Tree& tree;
  const double* x;
  size_t n_outputs;
  size_t stride;
  double scale;
  ShapScratch& scratch;
  double* phi;

  // Visits `node`, entered through a split on `feature` that kept `zero` of
  // the cover and that x follows when `one` is 1; `parent` is the path
  // above (parent_len elements).
  void Recurse(int64_t node, const ShapPathElement* parent, int parent_len, double zero, double one,
               int64_t feature, int32_t level) {
    ShapPathElement* m = scratch.level(level);
    std::copy(parent, parent + parent_len, m);
    const int depth = parent_len;
    ShapExtend(m, depth, zero, one, feature);
    if (tree.IsLeaf(node)) {
      double* leaf = scratch.leaf();
      tree.LeafValues(node, leaf);
      for (size_t o = 0; o < n_outputs; ++o) leaf[o] *= scale;
      ShapAddLeaf(m, depth, leaf, n_outputs, stride, phi);
      return;
    }
    const int64_t split = tree.Feature(node);
    const bool left = tree.GoesLeft(node, x);
    const int64_t hot = left ? tree.Left(node) : tree.Right(node);
    const int64_t cold = left ? tree.Right(node) : tree.Left(node);
    const double cover = tree.Cover(node);
    const double hot_ratio = cover > 0 ? tree.Cover(hot) / cover : 0.0;
    const double cold_ratio = cover > 0 ? tree.Cover(cold) / cover : 0.0;
    // A feature split on again: its earlier element leaves the path and its
    // fractions carry into the new one, so each feature appears once.
    double incoming_zero = 1.0;
    double incoming_one = 1.0;
    int len = depth + 1;
    for (int k = 1; k <= depth; ++k) {
      if (m[k].feature == split) {
        incoming_zero = m[k].zero;
        incoming_one = m[k].one;
        ShapUnwind(m, depth, k);
        len = depth;
        break;
      }
    }
    // A child that neither x nor any cover reaches adds nothing.
    if (incoming_zero * hot_ratio != 0.0 || incoming_one != 0.0) {
      Recurse(hot, m, len, incoming_zero * hot_ratio, incoming_one, split, level + 1);
    }
    if (incoming_zero * cold_ratio != 0.0) {
      Recurse(cold, m, len, incoming_zero * cold_ratio, 0.0, split, level + 1);
    }
  }
};

}  // namespace internal

// Adds `scale` times tree t's contributions for row x into
// phi[o * stride + f] (f < n_features <= stride). `scratch` must have been
// reserved for this tree's depth, feature count and n_outputs.
template <typename Tree>
void AddTreeShap(const Tree& t, const double* x, size_t n_outputs, size_t stride, double scale,
                 ShapScratch& scratch, double* phi) {
  internal::ShapWalk<Tree> walk{t, x, n_outputs, stride, scale, scratch, phi};
  walk.Recurse(0, nullptr, 0, 1.0, 1.0, -1, 0);
}

// Adds `scale` times the tree's expected value v({}) — each leaf's values
// weighted by the product of cover ratios on its path — into out[0..n_outputs).
// Row-independent: runtimes compute it once at load. Iterative, any depth.
template <typename Tree>
void AddTreeExpectation(const Tree& t, size_t n_outputs, double scale, double* out) {
  std::vector<std::pair<int64_t, double>> stack{{0, scale}};
  std::vector<double> leaf(n_outputs);
  while (!stack.empty()) {
    auto [node, w] = stack.back();
    stack.pop_back();
    if (t.IsLeaf(node)) {
      t.LeafValues(node, leaf.data());
      for (size_t o = 0; o < n_outputs; ++o) out[o] += w * leaf[o];
      continue;
    }
    const double cover = t.Cover(node);
    if (cover <= 0) continue;
    stack.emplace_back(t.Left(node), w * (t.Cover(t.Left(node)) / cover));
    stack.emplace_back(t.Right(node), w * (t.Cover(t.Right(node)) / cover));
  }
}

}  // namespace ferry::runtime
