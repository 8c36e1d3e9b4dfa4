// TreeShap: exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018,
// "Consistent Individualized Feature Attribution for Tree Ensembles") for one
// binary decision tree, shared by the scikit-learn and XGBoost runtimes.
//
// What it computes: the Shapley values of the set function
//   v(S) = E[f(x) | x_S], where a node splitting on a feature in S sends x
//   down the branch x takes, and a node splitting on a feature outside S
//   averages its children weighted by their share of the node's training
//   cover (sklearn's weighted_n_node_samples, HGB's count, XGBoost's
//   sum_hessian).
// phi_f is feature f's contribution; sum(phi) + v({}) = f(x) exactly (the
// efficiency property), and v({}) — the tree's cover-weighted mean leaf value
// — is the bias (TreeExpectation).
//
// Two evaluations of the same values:
//  - AddTreeShapPaper: the paper's Algorithm 2 as published (EXTEND and
//    UNWIND of subset weights along the path), O(L * D^2) per row. Kept as
//    the reference the tests hold the other to.
//  - AddTreeShap (what the runtimes call): leaf by leaf. A leaf's term of v(S)
//    is value * prod over its path's distinct features j of (j in S ? o_j :
//    z_j), with z_j the product of the cover ratios of j's splits on the path
//    and o_j = 1 when x takes all of them (else 0). That is a product game,
//    whose Shapley values need only the features x follows ("hot", o = 1):
//    with d distinct features, h of them hot, Z_C the product of the cold
//    ones' z, w(k) = k! (d-1-k)! / d! and e_m the elementary symmetric
//    polynomials of the hot z's,
//      every cold feature gets  -Z_C * sum_k w(k) e_{h-k}(hot),
//      a hot feature i gets     (1 - z_i) Z_C * sum_k w(k) e_{h-1-k}(hot \ i).
//    The walk keeps, per level, the hot features with their z and the cold
//    product, updated in O(h) per edge; a leaf costs O(h^2). A feature that
//    turns cold stays cold below, so the cold share is summed over the
//    subtree and added to that feature once, on the way back up. x follows
//    few splits of most leaves (h is small): several times faster than
//    Algorithm 2 on forests (bench/RESULTS.md).
//
// DESIGN: the tree is a template parameter so each runtime keeps its own node
// layout and split rule (sklearn's float32 `<=`, XGBoost's float `<` with a
// default direction, HGB's categorical bitsets) and the walk inlines them. A
// Tree provides, with node 0 the root:
//   bool IsLeaf(int64_t n); int64_t Left(n), Right(n); int64_t Feature(n);
//   bool GoesLeft(int64_t n, const double* x);
//   double CoverShare(int64_t child)   // cover(child) / cover(parent), 0 if
//                                      // the parent has none (precomputed)
//   const double* LeafValues(int64_t n)   // n_outputs values
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

// One feature on Algorithm 2's unique path from the root to the current node:
// the fraction of cover that reaches here through its splits when the feature
// is absent (zero), whether x itself reaches here through them (one: 0 or 1),
// and `weight`, the share of the path's feature subsets of each size (indexed
// by position, not by feature).
struct ShapPathElement {
  int64_t feature;
  double zero;
  double one;
  double weight;
};

// Algorithm 2's EXTEND: grows the path m[0..depth) by one element (feature,
// zero, one) at index `depth` and updates every subset-size weight.
void ShapExtend(ShapPathElement* m, int depth, double zero, double one, int64_t feature);

// Algorithm 2's UNWIND: removes element `index` from the path m[0..depth]
// (depth = last index), undoing its Extend; the path keeps depth elements.
void ShapUnwind(ShapPathElement* m, int depth, int index);

// Algorithm 2 at a leaf reached through the path m[0..depth]: adds each path
// feature's weight times `leaf[o]` into phi[o * stride + feature].
void ShapAddLeaf(const ShapPathElement* m, int depth, const double* leaf, size_t n_outputs,
                 size_t stride, double* phi);

// The leaf-wise walk's path state at the current node: the distinct features
// on the path (d), the hot ones with their zero fractions (h, in no order),
// and the product of the cold ones' (times the tree's scale). The walk edits
// it in place and undoes each edit on the way back.
struct ShapPath {
  int32_t d;
  int32_t h;
  double cold;
  int32_t* hot_feature;
  double* hot_zero;
};

// Reusable per-thread workspace for AddTreeShap and AddTreeShapPaper.
class ShapScratch {
 public:
  // Sizes the workspace for trees up to `max_depth` deep over `n_features`
  // features with `n_outputs` leaf values.
  void Reserve(int32_t max_depth, int64_t n_features, size_t n_outputs);

  // Per feature, for the leaf-wise walk: the product of the cover shares of
  // its splits on the path (zero), whether x takes all of them (hot), and
  // how many there are.
  double* zero() { return zero_.data(); }
  uint8_t* hot() { return hot_.data(); }
  int32_t* splits() { return splits_.data(); }
  ShapPath& path() { return path_state_; }
  // The cold shares summed over the leaves below a node, per output.
  double* cold_sum(int32_t level) { return cold_sums_.data() + level * cold_sum_stride_; }
  // w(k) = k! (d-1-k)! / d! for k < d: `d` entries.
  const double* weights(size_t d) const { return weights_.data() + d * (d - 1) / 2; }
  double* shares() { return shares_.data(); }  // a leaf's hot shares
  double* sym() { return sym_.data(); }        // h + 1 entries

  // Algorithm 2's path segments, one per tree level.
  ShapPathElement* level(int32_t l) { return path_.data() + static_cast<size_t>(l) * segment_; }
  double* leaf() { return leaf_.data(); }

 private:
  std::vector<double> zero_;
  std::vector<uint8_t> hot_;
  std::vector<int32_t> splits_;
  ShapPath path_state_{};
  std::vector<int32_t> hot_features_;
  std::vector<double> hot_zeros_;
  std::vector<double> cold_sums_;
  size_t cold_sum_stride_ = 0;
  std::vector<double> weights_;  // w for d = 1..weights_depth_, d entries each
  size_t weights_depth_ = 0;
  std::vector<double> shares_, sym_;
  std::vector<ShapPathElement> path_;
  std::vector<double> leaf_;
  size_t segment_ = 0;
};

// The leaf-wise evaluation at a leaf whose path state is `s`: adds each hot
// feature's share times leaf[o] into phi[o * stride + feature], and the share
// every cold feature gets times leaf[o] into cold_sum[o].
void ShapAddLeafwise(ShapScratch& scratch, const ShapPath& s, const double* leaf, size_t n_outputs,
                     size_t stride, double* phi, double* cold_sum);

namespace internal {

template <typename Tree>
struct LeafwiseWalk {
  const Tree& tree;
  const double* x;
  size_t n_outputs;
  size_t stride;
  ShapScratch& scratch;
  double* phi;

  // Visits internal node `node` at depth `level` (scratch.path() is its path
  // state); leaves are handled here by their parent, which saves a call for
  // half the nodes. Adds the cold shares of the leaves below into
  // cold_sum(level).
  void Visit(int64_t node, int32_t level) {
    const auto split = static_cast<int32_t>(tree.Feature(node));
    const bool left = tree.GoesLeft(node, x);
    double& zero = scratch.zero()[split];
    uint8_t& hot = scratch.hot()[split];
    int32_t& splits = scratch.splits()[split];
    const double saved_zero = zero;
    const bool saved_hot = hot != 0;
    const bool first = splits == 0;
    ++splits;
    ShapPath& p = scratch.path();
    const double cold = p.cold;
    double* sums = scratch.cold_sum(level);
    double* below = scratch.cold_sum(level + 1);
    // Where the split's feature sits among the hot ones, when it does.
    int32_t slot = -1;
    if (!first && saved_hot) {
      slot = 0;
      while (p.hot_feature[slot] != split) ++slot;
    }
    for (int side = 0; side < 2; ++side) {
      const int64_t child = side == 0 ? tree.Left(node) : tree.Right(node);
      const double share = tree.CoverShare(child);
      zero = (first ? 1.0 : saved_zero) * share;
      const bool child_hot = (first || saved_hot) && (side == 0) == left;
      hot = child_hot;
      // A child that neither x nor any cover reaches adds nothing.
      if (zero == 0.0 && !child_hot) continue;
      // Edit the path state for the child (undone below).
      const bool turned_cold = !child_hot && (first || saved_hot);
      p.d += first ? 1 : 0;
      if (child_hot) {
        if (first) {
          p.hot_feature[p.h] = split;
          p.hot_zero[p.h++] = zero;
        } else {
          p.hot_zero[slot] = zero;
        }
      } else if (slot >= 0) {  // turns cold here: the last hot one takes its slot
        --p.h;
        p.hot_feature[slot] = p.hot_feature[p.h];
        p.hot_zero[slot] = p.hot_zero[p.h];
        p.cold = cold * zero;
      } else {  // new and cold (zero), or cold already (its product grows by share)
        p.cold = cold * (first ? zero : share);
      }
      if (p.cold != 0.0) {
        std::fill(below, below + n_outputs, 0.0);
        if (tree.IsLeaf(child)) {
          ShapAddLeafwise(scratch, p, tree.LeafValues(child), n_outputs, stride, phi, below);
        } else {
          Visit(child, level + 1);
        }
        // Every leaf below has this feature cold only if it turned cold
        // here; features cold from higher up collect the sums where they turned.
        for (size_t o = 0; o < n_outputs; ++o) {
          if (turned_cold) phi[o * stride + split] += below[o];
          sums[o] += below[o];
        }
      }
      // Undo.
      p.cold = cold;
      p.d -= first ? 1 : 0;
      if (child_hot) {
        if (first) {
          --p.h;
        } else {
          p.hot_zero[slot] = saved_zero;
        }
      } else if (slot >= 0) {  // the slot past the end was free below: rebuild it
        p.hot_feature[p.h] = p.hot_feature[slot];
        p.hot_zero[p.h] = p.hot_zero[slot];
        p.hot_feature[slot] = split;
        p.hot_zero[slot] = saved_zero;
        ++p.h;
      }
    }
    zero = saved_zero;
    hot = saved_hot;
    --splits;
  }
};

template <typename Tree>
struct PaperWalk {
  const Tree& tree;
  const double* x;
  size_t n_outputs;
  size_t stride;
  double scale;
  ShapScratch& scratch;
  double* phi;

  // Algorithm 2's RECURSE: visits `node`, entered through a split on
  // `feature` that kept `zero` of the cover and that x follows when `one` is
  // 1; `parent` is the path above (parent_len elements).
  void Recurse(int64_t node, const ShapPathElement* parent, int parent_len, double zero, double one,
               int64_t feature, int32_t level) {
    ShapPathElement* m = scratch.level(level);
    std::copy(parent, parent + parent_len, m);
    const int depth = parent_len;
    ShapExtend(m, depth, zero, one, feature);
    if (tree.IsLeaf(node)) {
      double* leaf = scratch.leaf();
      const double* values = tree.LeafValues(node);
      for (size_t o = 0; o < n_outputs; ++o) leaf[o] = values[o] * scale;
      ShapAddLeaf(m, depth, leaf, n_outputs, stride, phi);
      return;
    }
    const int64_t split = tree.Feature(node);
    const bool left = tree.GoesLeft(node, x);
    const int64_t hot = left ? tree.Left(node) : tree.Right(node);
    const int64_t cold = left ? tree.Right(node) : tree.Left(node);
    const double hot_ratio = tree.CoverShare(hot);
    const double cold_ratio = tree.CoverShare(cold);
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
  if (t.IsLeaf(0)) return;  // a lone root leaf: all in the bias
  ShapPath& path = scratch.path();
  path.d = 0;
  path.h = 0;
  path.cold = scale;  // the scale rides along in every share
  std::fill(scratch.cold_sum(0), scratch.cold_sum(0) + n_outputs, 0.0);
  internal::LeafwiseWalk<Tree> walk{t, x, n_outputs, stride, scratch, phi};
  walk.Visit(0, 0);
}

// The same values by Algorithm 2 as published (the reference; slower).
template <typename Tree>
void AddTreeShapPaper(const Tree& t, const double* x, size_t n_outputs, size_t stride, double scale,
                      ShapScratch& scratch, double* phi) {
  internal::PaperWalk<Tree> walk{t, x, n_outputs, stride, scale, scratch, phi};
  walk.Recurse(0, nullptr, 0, 1.0, 1.0, -1, 0);
}

// Adds `scale` times the tree's expected value v({}) — each leaf's values
// weighted by the product of cover ratios on its path — into out[0..n_outputs).
// Row-independent: runtimes compute it once at load. Iterative, any depth.
template <typename Tree>
void AddTreeExpectation(const Tree& t, size_t n_outputs, double scale, double* out) {
  std::vector<std::pair<int64_t, double>> stack{{0, scale}};
  while (!stack.empty()) {
    auto [node, w] = stack.back();
    stack.pop_back();
    if (t.IsLeaf(node)) {
      const double* values = t.LeafValues(node);
      for (size_t o = 0; o < n_outputs; ++o) out[o] += w * values[o];
      continue;
    }
    for (int64_t child : {t.Left(node), t.Right(node)}) {
      const double share = t.CoverShare(child);
      if (share > 0) stack.emplace_back(child, w * share);
    }
  }
}

}  // namespace ferry::runtime
