// Feature selectors: VarianceThreshold, SelectKBest, SelectPercentile.
// Each computes sklearn's _get_support_mask once at load time from the
// fitted scores; transform keeps the selected columns.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <numeric>

#include "runtime/sklearn/frame_ops.h"
#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

class Selector : public Transformer {
 public:
  Status Transform(const Frame& in, Frame* out) const override {
    if (static_cast<int64_t>(in.cols) != n_) {
      return InvalidArgumentError(name_ + " expects " + std::to_string(n_) +
                                  " features per row but the input has " + std::to_string(in.cols));
    }
    SelectColumns(in, cols_, out);
    return OkStatus();
  }
  int64_t n_features_in() const override { return n_; }
  std::string name() const override { return name_; }

  std::vector<size_t> cols_;
  int64_t n_ = 0;
  std::string name_;
};

// sklearn.feature_selection._univariate_selection._clean_nans.
std::vector<double> CleanNans(std::vector<double> s) {
  for (double& v : s) {
    if (std::isnan(v)) v = -DBL_MAX;
  }
  return s;
}

// numpy.percentile(s, q) with the default linear method (numpy's _lerp).
double Percentile(std::vector<double> s, double q) {
  std::sort(s.begin(), s.end());
  const double idx = static_cast<double>(s.size() - 1) * (q / 100.0);
  const double lo_f = std::floor(idx);
  const auto lo = static_cast<size_t>(lo_f);
  const size_t hi = std::min(lo + 1, s.size() - 1);
  const double t = idx - lo_f;
  const double a = s[lo], b = s[hi];
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

StatusOr<std::unique_ptr<Selector>> Start(const Attrs& a, std::string_view scores_key,
                                          std::vector<double>* scores) {
  auto s = std::make_unique<Selector>();
  s->name_ = a.cls();
  ASSIGN_OR_RETURN(Array v, a.Numbers(scores_key));
  if (v.shape.size() != 1 || v.v.empty()) {
    return a.Error(scores_key, "is not a non-empty 1-D array");
  }
  s->n_ = static_cast<int64_t>(v.v.size());
  if (a.Has("n_features_in_")) {
    ASSIGN_OR_RETURN(int64_t n, a.Int("n_features_in_"));
    if (n != s->n_) {
      return a.Error(scores_key, "disagrees with n_features_in_");
    }
  }
  *scores = std::move(v.v);
  return s;
}

void Keep(const std::vector<bool>& mask, Selector* s) {
  for (size_t i = 0; i < mask.size(); ++i) {
    if (mask[i]) s->cols_.push_back(i);
  }
}

}  // namespace

StatusOr<TransformerPtr> MakeVarianceThreshold(const Attrs& a, BuildContext& ctx) {
  std::vector<double> var;
  ASSIGN_OR_RETURN(auto s, Start(a, "variances_", &var));
  const double threshold = a.NumberOr("threshold", 0.0);
  std::vector<bool> mask(var.size());
  for (size_t i = 0; i < var.size(); ++i) mask[i] = var[i] > threshold;
  Keep(mask, s.get());
  return TransformerPtr(std::move(s));
}

StatusOr<TransformerPtr> MakeSelectKBest(const Attrs& a, BuildContext& ctx) {
  std::vector<double> scores;
  ASSIGN_OR_RETURN(auto s, Start(a, "scores_", &scores));
  const size_t n = scores.size();
  std::vector<bool> mask(n, false);
  const pickle::Value* k = a.Get("k");
  if (k != nullptr && k->is_str() && k->str == "all") {
    mask.assign(n, true);
  } else {
    ASSIGN_OR_RETURN(int64_t kk, a.Int("k"));
    if (kk < 0 || kk > static_cast<int64_t>(n)) {
      return a.Error("k", "is " + std::to_string(kk) + " for " + std::to_string(n) + " features");
    }
    // mask[argsort(scores, kind="mergesort")[-k:]] = 1
    scores = CleanNans(std::move(scores));
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t x, size_t y) { return scores[x] < scores[y]; });
    for (size_t i = n - static_cast<size_t>(kk); i < n; ++i) mask[order[i]] = true;
  }
  Keep(mask, s.get());
  return TransformerPtr(std::move(s));
}

StatusOr<TransformerPtr> MakeSelectPercentile(const Attrs& a, BuildContext& ctx) {
  std::vector<double> scores;
  ASSIGN_OR_RETURN(auto s, Start(a, "scores_", &scores));
  const size_t n = scores.size();
  ASSIGN_OR_RETURN(double pct, a.Number("percentile"));
  if (!(pct >= 0 && pct <= 100)) {
    return a.Error("percentile", "is not within [0, 100]");
  }
  std::vector<bool> mask(n, pct == 100);
  if (pct != 0 && pct != 100) {
    scores = CleanNans(std::move(scores));
    const double threshold = Percentile(scores, 100 - pct);
    size_t kept = 0;
    for (size_t i = 0; i < n; ++i) {
      mask[i] = scores[i] > threshold;
      kept += mask[i] ? 1 : 0;
    }
    // kept_ties = ties[:max_feats - mask.sum()]: a Python slice, whose negative
    // end drops ties from the back.
    std::vector<size_t> ties;
    for (size_t i = 0; i < n; ++i) {
      if (scores[i] == threshold) ties.push_back(i);
    }
    const auto max_feats = static_cast<int64_t>(static_cast<double>(n) * pct / 100);
    const int64_t end = max_feats - static_cast<int64_t>(kept);
    const auto t = static_cast<int64_t>(ties.size());
    const int64_t take = end >= 0 ? std::min(end, t) : std::max<int64_t>(0, t + end);
    for (int64_t i = 0; i < take; ++i) mask[ties[static_cast<size_t>(i)]] = true;
  }
  Keep(mask, s.get());
  return TransformerPtr(std::move(s));
}

}  // namespace ferry::sklearn
