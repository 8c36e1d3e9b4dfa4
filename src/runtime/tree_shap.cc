// The arithmetic of TreeSHAP: Algorithm 2's EXTEND and UNWIND, and the
// leaf-wise evaluation (tree_shap.h says how they relate).
//
// m[i].weight, for a path of `depth` features, is the summed Shapley weight
// |S|! (depth - |S|)! / (depth + 1)! of the feature subsets S of size i that
// keep the path's flow, multiplied by the fractions of flow they let through
// (one for features in S, zero for the others). Extending by a feature splits
// each subset into "without it" (times zero) and "with it" (times one, one
// size larger); unwinding inverts that recurrence.
//
// In a path-dependent walk for one row, `one` is always 0 or 1 (x follows a
// split or it does not), which ShapAddLeaf uses: every element with one == 0
// gets the same unwound sum, computed once per leaf.
#include "runtime/tree_shap.h"

#include <algorithm>

namespace ferry::runtime {

void ShapExtend(ShapPathElement* m, int depth, double zero, double one, int64_t feature) {
  m[depth] = ShapPathElement{feature, zero, one, depth == 0 ? 1.0 : 0.0};
  const double n = depth + 1;
  for (int i = depth - 1; i >= 0; --i) {
    m[i + 1].weight += one * m[i].weight * (i + 1) / n;
    m[i].weight = zero * m[i].weight * (depth - i) / n;
  }
}

void ShapUnwind(ShapPathElement* m, int depth, int index) {
  const double one = m[index].one;
  const double zero = m[index].zero;
  const double n = depth + 1;
  double next = m[depth].weight;
  for (int i = depth - 1; i >= 0; --i) {
    if (one != 0.0) {
      const double before = m[i].weight;
      m[i].weight = next * n / ((i + 1) * one);
      next = before - m[i].weight * zero * (depth - i) / n;
    } else {
      m[i].weight = m[i].weight * n / (zero * (depth - i));
    }
  }
  for (int i = index; i < depth; ++i) {
    m[i].feature = m[i + 1].feature;
    m[i].zero = m[i + 1].zero;
    m[i].one = m[i + 1].one;
  }
}

namespace {

// Sum of the weights the path would have without an element whose fractions
// are (zero, one != 0), times (one - zero): that element's share of the leaf
// value. Unwind's recurrence, without writing the path.
double HotShare(const ShapPathElement* m, int depth, double zero, double one) {
  const double n = depth + 1;
  double next = m[depth].weight;
  double total = 0.0;
  for (int i = depth - 1; i >= 0; --i) {
    const double w = next * n / ((i + 1) * one);
    total += w;
    next = m[i].weight - w * zero * (depth - i) / n;
  }
  return (one - zero) * total;
}

// The same for an element whose one is 0: (0 - zero) * sum_i w_i n /
// (zero (depth - i)), in which zero cancels — identical for all such elements.
double ColdShare(const ShapPathElement* m, int depth) {
  const double n = depth + 1;
  double total = 0.0;
  for (int i = depth - 1; i >= 0; --i) {
    total += m[i].weight * n / (depth - i);
  }
  return -total;
}

}  // namespace

void ShapAddLeaf(const ShapPathElement* m, int depth, const double* leaf, size_t n_outputs,
                 size_t stride, double* phi) {
  bool cold_known = false;
  double cold = 0.0;
  for (int i = 1; i <= depth; ++i) {
    double share;
    if (m[i].one != 0.0) {
      share = HotShare(m, depth, m[i].zero, m[i].one);
    } else {
      if (!cold_known) {
        cold = ColdShare(m, depth);
        cold_known = true;
      }
      share = cold;
    }
    double* p = phi + m[i].feature;
    for (size_t o = 0; o < n_outputs; ++o) {
      p[o * stride] += share * leaf[o];
    }
  }
}

void ShapScratch::Reserve(int32_t max_depth, int64_t n_features, size_t n_outputs) {
  // A path holds at most one element per distinct feature, plus the root.
  const auto distinct =
      static_cast<size_t>(std::max<int64_t>(0, std::min<int64_t>(max_depth, n_features)));
  const size_t width = distinct + 2;
  const auto levels = static_cast<size_t>(max_depth) + 2;
  segment_ = width;
  if (path_.size() < levels * width) path_.resize(levels * width);
  if (leaf_.size() < n_outputs) leaf_.resize(n_outputs);
  if (zero_.size() < static_cast<size_t>(n_features)) {
    zero_.resize(n_features, 1.0);
    hot_.resize(n_features, 1);
    splits_.resize(n_features, 0);
  }
  if (shares_.size() < width) {
    shares_.resize(width);
    sym_.resize(width);
  }
  if (hot_features_.size() < width) {
    hot_features_.resize(width);
    hot_zeros_.resize(width);
  }
  path_state_.hot_feature = hot_features_.data();
  path_state_.hot_zero = hot_zeros_.data();
  cold_sum_stride_ = n_outputs;
  if (cold_sums_.size() < levels * n_outputs) cold_sums_.resize(levels * n_outputs);
  // w(k) for d = 1..distinct, by w(0) = 1/d and w(k+1) = w(k) (k+1) / (d-1-k).
  for (size_t d = weights_depth_ + 1; d <= distinct; ++d, ++weights_depth_) {
    double w = 1.0 / static_cast<double>(d);
    for (size_t k = 0; k < d; ++k) {
      weights_.push_back(w);
      if (k + 1 < d) w = w * static_cast<double>(k + 1) / static_cast<double>(d - 1 - k);
    }
  }
}

namespace {

// The shares of a leaf with h hot features (zero fractions z[0..h)) among d:
// the one every cold feature gets, and each hot feature's, written over z.
// H = h fixed at compile time, so the small loops unroll: which h a leaf has
// is data, and loop exits that depend on it were a visible share of the cost.
template <int H>
double Shares(double* z, const double* w, double cold_product, bool any_cold) {
  // Elementary symmetric polynomials of the hot zero fractions: the
  // coefficients of prod (1 + z t).
  double e[H + 1];
  e[0] = 1.0;
  for (int i = 0; i < H; ++i) {
    e[i + 1] = z[i] * e[i];
    for (int m = i; m >= 1; --m) e[m] += z[i] * e[m - 1];
  }
  double cold_share = 0.0;
  if (any_cold) {
    double total = 0.0;
    for (int k = 0; k <= H; ++k) total += w[k] * e[H - k];
    cold_share = -cold_product * total;
  }
  // Each hot feature's share, through the polynomials without it (divided
  // by 1 + z t).
  for (int j = 0; j < H; ++j) {
    double total = w[H - 1];
    double prev = 1.0;
    for (int m = 1; m < H; ++m) {
      prev = e[m] - z[j] * prev;
      total += w[H - 1 - m] * prev;
    }
    z[j] = (1.0 - z[j]) * cold_product * total;
  }
  return cold_share;
}

// The same for any h (deep paths), with the scratch's buffer for e.
double SharesAnyH(double* z, size_t h, const double* w, double cold_product, bool any_cold,
                  double* e) {
  e[0] = 1.0;
  for (size_t i = 0; i < h; ++i) {
    e[i + 1] = z[i] * e[i];
    for (size_t m = i; m >= 1; --m) e[m] += z[i] * e[m - 1];
  }
  double cold_share = 0.0;
  if (any_cold) {
    double total = 0.0;
    for (size_t k = 0; k <= h; ++k) total += w[k] * e[h - k];
    cold_share = -cold_product * total;
  }
  for (size_t j = 0; j < h; ++j) {
    double total = w[h - 1];
    double prev = 1.0;
    for (size_t m = 1; m < h; ++m) {
      prev = e[m] - z[j] * prev;
      total += w[h - 1 - m] * prev;
    }
    z[j] = (1.0 - z[j]) * cold_product * total;
  }
  return cold_share;
}

}  // namespace

void ShapAddLeafwise(ShapScratch& scratch, const ShapPath& s, const double* leaf, size_t n_outputs,
                     size_t stride, double* phi, double* cold_sum) {
  const auto h = static_cast<size_t>(s.h);
  const double* w = scratch.weights(static_cast<size_t>(s.d));
  const bool any_cold = s.h < s.d;
  double* shares = scratch.shares();
  std::copy(s.hot_zero, s.hot_zero + h, shares);
  double cold_share;
  switch (h) {
    case 0:
      cold_share = -s.cold * w[0];
      break;
    case 1:
      cold_share = Shares<1>(shares, w, s.cold, any_cold);
      break;
    case 2:
      cold_share = Shares<2>(shares, w, s.cold, any_cold);
      break;
    case 3:
      cold_share = Shares<3>(shares, w, s.cold, any_cold);
      break;
    case 4:
      cold_share = Shares<4>(shares, w, s.cold, any_cold);
      break;
    case 5:
      cold_share = Shares<5>(shares, w, s.cold, any_cold);
      break;
    case 6:
      cold_share = Shares<6>(shares, w, s.cold, any_cold);
      break;
    default:
      cold_share = SharesAnyH(shares, h, w, s.cold, any_cold, scratch.sym());
  }
  for (size_t o = 0; o < n_outputs; ++o) {
    const double v = leaf[o];
    cold_sum[o] += cold_share * v;
    double* p = phi + o * stride;
    for (size_t k = 0; k < h; ++k) p[s.hot_feature[k]] += shares[k] * v;
  }
}

}  // namespace ferry::runtime
