// Linear projections: PCA, IncrementalPCA, TruncatedSVD and
// LinearDiscriminantAnalysis.transform.
// transform = ((X - mean_) · components_ᵀ) / sqrt(explained_variance_) when
// whiten, as sklearn's _BasePCA.transform; TruncatedSVD has no centring; LDA
// projects (X - xbar_) · scalings_ (svd solver) or X · scalings_ (eigen)
// onto its first _max_components axes.
#include <cmath>

#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

class Projection : public Transformer {
 public:
  Status Transform(const Frame& in, Frame* out) const override {
    ASSIGN_OR_RETURN(const double* x, NumericInput(in, static_cast<int64_t>(p_), name_));
    *out = Frame::Numeric(in.rows, k_);
    std::vector<double> row(p_);
    for (size_t r = 0; r < in.rows; ++r) {
      const double* xr = x + r * p_;
      if (!mean_.empty()) {
        for (size_t f = 0; f < p_; ++f) row[f] = xr[f] - mean_[f];
        xr = row.data();
      }
      double* o = &out->numeric[r * k_];
      for (size_t j = 0; j < k_; ++j) {
        const double* c = &components_[j * p_];
        double s = 0.0;
        for (size_t f = 0; f < p_; ++f) s += xr[f] * c[f];
        o[j] = scale_.empty() ? s : s / scale_[j];
      }
    }
    return OkStatus();
  }
  int64_t n_features_in() const override { return static_cast<int64_t>(p_); }
  std::string name() const override { return name_; }

  std::vector<double> components_;  // k x p
  std::vector<double> mean_;        // p, or empty
  std::vector<double> scale_;       // k: sqrt(explained_variance_) when whitening
  size_t k_ = 0, p_ = 0;
  std::string name_;
};

}  // namespace

StatusOr<TransformerPtr> MakeProjection(const Attrs& a, BuildContext& ctx) {
  auto t = std::make_unique<Projection>();
  t->name_ = a.cls();
  ASSIGN_OR_RETURN(Array c, a.Numbers("components_"));
  if (c.shape.size() != 2 || c.v.empty()) {
    return a.Error("components_", "is not a non-empty 2-D array");
  }
  t->k_ = static_cast<size_t>(c.dim(0));
  t->p_ = static_cast<size_t>(c.dim(1));
  t->components_ = std::move(c.v);
  const bool centred = a.cls() != "TruncatedSVD";
  if (centred) {
    const pickle::Value* mean = a.Get("mean_");
    if (mean != nullptr && !mean->is_none()) {
      ASSIGN_OR_RETURN(Array m, a.Numbers("mean_"));
      if (m.v.size() != t->p_) {
        return a.Error("mean_", "has " + std::to_string(m.v.size()) + " values, components_ has " +
                                    std::to_string(t->p_) + " columns");
      }
      t->mean_ = std::move(m.v);
    }
    if (a.BoolOr("whiten", false)) {
      ASSIGN_OR_RETURN(Array ev, a.Numbers("explained_variance_"));
      if (ev.v.size() != t->k_) {
        return a.Error("explained_variance_", "does not have one value per component");
      }
      for (double& v : ev.v) v = std::sqrt(v);
      t->scale_ = std::move(ev.v);
    }
  }
  if (a.Has("n_features_in_")) {
    ASSIGN_OR_RETURN(int64_t n, a.Int("n_features_in_"));
    if (n != static_cast<int64_t>(t->p_)) {
      return a.Error("components_", "disagrees with n_features_in_");
    }
  }
  return TransformerPtr(std::move(t));
}

StatusOr<TransformerPtr> MakeLdaTransformer(const Attrs& a, BuildContext& ctx) {
  auto t = std::make_unique<Projection>();
  t->name_ = a.cls();
  const std::string solver = a.StrOr("solver", "svd");
  if (solver != "svd" && solver != "eigen") {
    return a.Error("solver", "is '" + solver + "'; transform needs the svd or eigen solver");
  }
  ASSIGN_OR_RETURN(Array sc, a.Numbers("scalings_"));
  if (sc.shape.size() != 2 || sc.v.empty()) {
    return a.Error("scalings_", "is not a non-empty 2-D array");
  }
  t->p_ = static_cast<size_t>(sc.dim(0));
  const auto r = static_cast<size_t>(sc.dim(1));
  ASSIGN_OR_RETURN(int64_t maxc, a.Int("_max_components"));
  t->k_ = std::min(r, static_cast<size_t>(std::max<int64_t>(0, maxc)));
  t->components_.resize(t->k_ * t->p_);
  for (size_t j = 0; j < t->k_; ++j) {
    for (size_t f = 0; f < t->p_; ++f) t->components_[j * t->p_ + f] = sc.v[f * r + j];
  }
  if (solver == "svd") {
    ASSIGN_OR_RETURN(Array m, a.Numbers("xbar_"));
    if (m.v.size() != t->p_) {
      return a.Error("xbar_", "does not have one value per feature");
    }
    t->mean_ = std::move(m.v);
  }
  return TransformerPtr(std::move(t));
}

}  // namespace ferry::sklearn
