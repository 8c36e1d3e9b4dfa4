// The path-weight arithmetic of TreeSHAP (Algorithm 2's EXTEND and UNWIND).
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

}  // namespace ferry::runtime
