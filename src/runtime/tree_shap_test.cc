// TreeSHAP against Shapley values computed by brute force over every feature
// subset, on random trees that split on the same feature several times, have
// uneven covers, several outputs and zero-cover branches.
#include "runtime/tree_shap.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace ferry::runtime {
namespace {

struct TestTree {
  std::vector<int64_t> left, right, feature;
  std::vector<double> threshold, cover;
  std::vector<std::vector<double>> value;  // per node, n_outputs (leaves only)

  std::vector<int64_t> parent;

  bool IsLeaf(int64_t n) const { return left[n] < 0; }
  int64_t Left(int64_t n) const { return left[n]; }
  int64_t Right(int64_t n) const { return right[n]; }
  int64_t Feature(int64_t n) const { return feature[n]; }
  double CoverShare(int64_t n) const {
    const double c = cover[parent[n]];
    return c > 0 ? cover[n] / c : 0.0;
  }
  bool GoesLeft(int64_t n, const double* x) const { return x[feature[n]] <= threshold[n]; }
  const double* LeafValues(int64_t n) const { return value[n].data(); }
};

// A random full binary tree of the given depth bound; covers add up from the
// leaves (some leaves get cover 0 when `allow_zero`).
int64_t Grow(TestTree& t, std::mt19937& rng, int depth, int max_depth, int n_features,
             size_t n_outputs, bool allow_zero) {
  const auto id = static_cast<int64_t>(t.left.size());
  t.parent.push_back(-1);
  t.left.push_back(-1);
  t.right.push_back(-1);
  t.feature.push_back(-1);
  t.threshold.push_back(0);
  t.cover.push_back(0);
  t.value.emplace_back();
  std::uniform_real_distribution<double> u(0, 1);
  if (depth >= max_depth || (depth > 0 && u(rng) < 0.2)) {
    for (size_t o = 0; o < n_outputs; ++o) t.value[id].push_back(u(rng) * 10 - 5);
    t.cover[id] = allow_zero && u(rng) < 0.1 ? 0.0 : std::floor(u(rng) * 20) + 1;
    return id;
  }
  t.feature[id] = std::uniform_int_distribution<int>(0, n_features - 1)(rng);
  t.threshold[id] = u(rng);
  const int64_t l = Grow(t, rng, depth + 1, max_depth, n_features, n_outputs, allow_zero);
  const int64_t r = Grow(t, rng, depth + 1, max_depth, n_features, n_outputs, allow_zero);
  t.left[id] = l;
  t.right[id] = r;
  t.parent[l] = t.parent[r] = id;
  t.cover[id] = t.cover[l] + t.cover[r];
  return id;
}

// v(S) from its definition: features in S follow x, others average their
// children by cover.
double Value(const TestTree& t, int64_t n, const double* x, unsigned s, size_t o) {
  if (t.IsLeaf(n)) return t.value[n][o];
  if (s & (1u << t.feature[n])) {
    return Value(t, t.GoesLeft(n, x) ? t.left[n] : t.right[n], x, s, o);
  }
  if (t.cover[n] <= 0) return 0.0;
  return (t.cover[t.left[n]] * Value(t, t.left[n], x, s, o) +
          t.cover[t.right[n]] * Value(t, t.right[n], x, s, o)) /
         t.cover[n];
}

double Factorial(int n) { return n <= 1 ? 1.0 : n * Factorial(n - 1); }

// phi[o * (m + 1) + f], bias at f = m.
std::vector<double> BruteForce(const TestTree& t, const double* x, int m, size_t n_outputs) {
  std::vector<double> phi(n_outputs * (m + 1), 0.0);
  for (size_t o = 0; o < n_outputs; ++o) {
    for (int f = 0; f < m; ++f) {
      for (unsigned s = 0; s < (1u << m); ++s) {
        if (s & (1u << f)) continue;
        const int size = __builtin_popcount(s);
        const double w = Factorial(size) * Factorial(m - size - 1) / Factorial(m);
        phi[o * (m + 1) + f] += w * (Value(t, 0, x, s | (1u << f), o) - Value(t, 0, x, s, o));
      }
    }
    phi[o * (m + 1) + m] = Value(t, 0, x, 0, o);
  }
  return phi;
}

// AddTreeShap (leaf-wise), or Algorithm 2 as published when `paper`.
std::vector<double> Fast(const TestTree& t, const double* x, int m, size_t n_outputs, int max_depth,
                         bool paper = false) {
  std::vector<double> phi(n_outputs * (m + 1), 0.0);
  ShapScratch scratch;
  scratch.Reserve(max_depth, m, n_outputs);
  if (paper) {
    AddTreeShapPaper(t, x, n_outputs, m + 1, 1.0, scratch, phi.data());
  } else {
    AddTreeShap(t, x, n_outputs, m + 1, 1.0, scratch, phi.data());
  }
  std::vector<double> bias(n_outputs, 0.0);
  AddTreeExpectation(t, n_outputs, 1.0, bias.data());
  for (size_t o = 0; o < n_outputs; ++o) phi[o * (m + 1) + m] = bias[o];
  return phi;
}

void CheckRandomTrees(int n_features, int max_depth, size_t n_outputs, bool allow_zero,
                      unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 40; ++trial) {
    TestTree t;
    Grow(t, rng, 0, max_depth, n_features, n_outputs, allow_zero);
    std::vector<double> x(n_features);
    for (double& v : x) v = u(rng);
    auto want = BruteForce(t, x.data(), n_features, n_outputs);
    auto got = Fast(t, x.data(), n_features, n_outputs, max_depth);
    auto paper = Fast(t, x.data(), n_features, n_outputs, max_depth, true);
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_NEAR(got[i], want[i], 1e-9) << "trial " << trial << " index " << i;
      EXPECT_NEAR(paper[i], want[i], 1e-9) << "Algorithm 2, trial " << trial << " index " << i;
    }
    // Efficiency: the contributions and the bias add up to the tree's output.
    for (size_t o = 0; o < n_outputs; ++o) {
      double sum = 0;
      for (int f = 0; f <= n_features; ++f) sum += got[o * (n_features + 1) + f];
      EXPECT_NEAR(sum, Value(t, 0, x.data(), (1u << n_features) - 1, o), 1e-9);
    }
  }
}

TEST(TreeShap, MatchesBruteForceOnShallowTrees) { CheckRandomTrees(3, 3, 1, false, 1); }

TEST(TreeShap, MatchesBruteForceWhenFeaturesRepeatOnAPath) {
  // 2 features and depth 7: every path splits on each feature several times.
  CheckRandomTrees(2, 7, 1, false, 2);
}

TEST(TreeShap, MatchesBruteForceOnDeeperTreesWithManyOutputs) {
  CheckRandomTrees(6, 8, 3, false, 3);
}

TEST(TreeShap, MatchesBruteForceWithZeroCoverBranches) { CheckRandomTrees(4, 6, 2, true, 4); }

TEST(TreeShap, OneScratchServesTreesOfDifferentSizes) {
  // Runtimes keep one scratch per thread across models: state must not leak.
  std::mt19937 rng(6);
  ShapScratch shared;
  for (int trial = 0; trial < 20; ++trial) {
    const int m = 2 + trial % 5;
    const int depth = 2 + trial % 7;
    TestTree t;
    Grow(t, rng, 0, depth, m, 1 + trial % 3, trial % 2 == 0);
    std::vector<double> x(m);
    for (double& v : x) v = std::uniform_real_distribution<double>(0, 1)(rng);
    const size_t outs = t.value.back().size();
    std::vector<double> phi(outs * (m + 1), 0.0);
    shared.Reserve(depth, m, outs);
    AddTreeShap(t, x.data(), outs, m + 1, 1.0, shared, phi.data());
    auto want = Fast(t, x.data(), m, outs, depth);
    for (int f = 0; f < m; ++f) EXPECT_NEAR(phi[f], want[f], 1e-12) << trial;
  }
}

TEST(TreeShap, ScaleMultipliesEveryContribution) {
  std::mt19937 rng(5);
  TestTree t;
  Grow(t, rng, 0, 5, 4, 1, false);
  const double x[4] = {0.1, 0.9, 0.4, 0.6};
  std::vector<double> one(5, 0.0), half(5, 0.0);
  ShapScratch scratch;
  scratch.Reserve(5, 4, 1);
  AddTreeShap(t, x, 1, 5, 1.0, scratch, one.data());
  AddTreeShap(t, x, 1, 5, 0.5, scratch, half.data());
  for (int f = 0; f < 4; ++f) EXPECT_NEAR(half[f], 0.5 * one[f], 1e-12);
}

TEST(TreeShap, SingleLeafTreeHasOnlyABias) {
  TestTree t;
  t.parent = {-1};
  t.left = {-1};
  t.right = {-1};
  t.feature = {-1};
  t.threshold = {0};
  t.cover = {7};
  t.value = {{2.5}};
  const double x[2] = {1, 2};
  auto got = Fast(t, x, 2, 1, 1);
  EXPECT_EQ(got[0], 0.0);
  EXPECT_EQ(got[1], 0.0);
  EXPECT_EQ(got[2], 2.5);
}

}  // namespace
}  // namespace ferry::runtime
