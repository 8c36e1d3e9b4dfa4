// KMeans and MiniBatchKMeans: predict = index of the nearest cluster centre.
// Distances are compared as sklearn's Lloyd kernel does (||c||² - 2·x·c, the
// row's own norm left out), so near-ties resolve the same way.
#include <cmath>

#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

class KMeans : public Predictor {
 public:
  StatusOr<Tensor> Predict(const Frame& x, PredictMethod method) const override {
    if (method != PredictMethod::kPredict) {
      return UnimplementedError(name_ +
                                " only supports predict (the index of the nearest cluster)");
    }
    ASSIGN_OR_RETURN(const double* X, NumericInput(x, static_cast<int64_t>(p_), name_));
    std::vector<int64_t> out(x.rows);
    for (size_t r = 0; r < x.rows; ++r) {
      const double* xr = X + r * p_;
      int64_t best = 0;
      double best_d = 0.0;
      for (size_t f = 0; f < p_; ++f) {
        if (!std::isfinite(xr[f])) {
          return InvalidArgumentError(name_ + ": input row " + std::to_string(r) +
                                      " contains NaN or infinity, which " + name_ +
                                      " does not accept");
        }
      }
      for (size_t j = 0; j < k_; ++j) {
        const double* c = &centers_[j * p_];
        double dot = 0.0;
        for (size_t f = 0; f < p_; ++f) dot += xr[f] * c[f];
        const double d = norms_[j] - 2.0 * dot;
        if (j == 0 || d < best_d) {
          best = static_cast<int64_t>(j);
          best_d = d;
        }
      }
      out[r] = best;
    }
    return Tensor::FromInt64s(out, {static_cast<int64_t>(x.rows)});
  }
  std::vector<PredictMethod> methods() const override { return {PredictMethod::kPredict}; }
  protocol::DataType output_datatype() const override { return protocol::DataType::kInt64; }
  int64_t n_features_in() const override { return static_cast<int64_t>(p_); }
  std::string name() const override { return name_; }

  std::vector<double> centers_;  // k x p
  std::vector<double> norms_;    // k: squared norms
  size_t k_ = 0, p_ = 0;
  std::string name_;
};

}  // namespace

StatusOr<PredictorPtr> MakeKMeans(const Attrs& a, BuildContext& ctx) {
  auto m = std::make_unique<KMeans>();
  m->name_ = a.cls();
  ASSIGN_OR_RETURN(Array c, a.Numbers("cluster_centers_"));
  if (c.shape.size() != 2 || c.v.empty()) {
    return a.Error("cluster_centers_", "is not a non-empty 2-D array");
  }
  m->k_ = static_cast<size_t>(c.dim(0));
  m->p_ = static_cast<size_t>(c.dim(1));
  m->centers_ = std::move(c.v);
  m->norms_.resize(m->k_);
  for (size_t j = 0; j < m->k_; ++j) {
    double s = 0.0;
    for (size_t f = 0; f < m->p_; ++f) s += m->centers_[j * m->p_ + f] * m->centers_[j * m->p_ + f];
    m->norms_[j] = s;
  }
  if (a.Has("n_features_in_")) {
    ASSIGN_OR_RETURN(int64_t n, a.Int("n_features_in_"));
    if (n != static_cast<int64_t>(m->p_)) {
      return a.Error("cluster_centers_", "disagrees with n_features_in_");
    }
  }
  return PredictorPtr(std::move(m));
}

}  // namespace ferry::sklearn
