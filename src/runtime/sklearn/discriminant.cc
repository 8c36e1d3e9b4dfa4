// QuadraticDiscriminantAnalysis and NearestCentroid.
// QDA scores each class as sklearn's _decision_function:
// -0.5 * (||(x - means_[c]) · rotations_[c] · scalings_[c]^-½||² + Σ log scalings_[c])
// + log priors_[c]; probabilities are the normalised exp of the scores, the
// binary decision_function their difference. NearestCentroid predicts the
// class of the closest centroid (euclidean or manhattan).
#include <cmath>

#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

class QDA : public Classifier {
 public:
  std::string name() const override { return "QuadraticDiscriminantAnalysis"; }

  struct ClassModel {
    std::vector<double> mean;  // p
    std::vector<double> w;     // p x r: rotations_[c] * scalings_[c] ** -0.5
    size_t r = 0;
    double offset = 0;  // -0.5 * sum(log scalings) + log prior
  };
  std::vector<ClassModel> classes_;
  size_t p_ = 0;

 protected:
  // rows x k scores.
  void Scores(const double* x, size_t rows, double* out) const {
    const size_t k = classes_.size();
    std::vector<double> xm(p_), acc;
    for (size_t r = 0; r < rows; ++r) {
      for (size_t c = 0; c < k; ++c) {
        const ClassModel& m = classes_[c];
        for (size_t f = 0; f < p_; ++f) xm[f] = x[r * p_ + f] - m.mean[f];
        acc.assign(m.r, 0.0);
        for (size_t f = 0; f < p_; ++f) {
          const double* wf = &m.w[f * m.r];
          for (size_t j = 0; j < m.r; ++j) acc[j] += xm[f] * wf[j];
        }
        double norm2 = 0.0;
        for (double v : acc) norm2 += v * v;
        out[r * k + c] = -0.5 * norm2 + m.offset;
      }
    }
  }
  Status Decision(const double* x, size_t rows, double* out) const override {
    const size_t k = classes_.size();
    if (k != 2) {
      Scores(x, rows, out);
      return OkStatus();
    }
    std::vector<double> s(rows * 2);
    Scores(x, rows, s.data());
    for (size_t r = 0; r < rows; ++r) out[r] = s[r * 2 + 1] - s[r * 2];
    return OkStatus();
  }
  Status Proba(const double* x, size_t rows, double* out) const override {
    const size_t k = classes_.size();
    Scores(x, rows, out);
    for (size_t r = 0; r < rows; ++r) {
      double* o = out + r * k;
      double mx = o[0];
      for (size_t c = 1; c < k; ++c) mx = std::max(mx, o[c]);
      double s = 0.0;
      for (size_t c = 0; c < k; ++c) s += (o[c] = std::exp(o[c] - mx));
      for (size_t c = 0; c < k; ++c) o[c] /= s;
    }
    return OkStatus();
  }
  Status PredictIndex(const double* x, size_t rows, int32_t* out) const override {
    const size_t k = classes_.size();
    std::vector<double> s(rows * k);
    Scores(x, rows, s.data());
    for (size_t r = 0; r < rows; ++r) out[r] = ArgMax(&s[r * k], k);
    return OkStatus();
  }
};

class NearestCentroid : public Classifier {
 public:
  std::string name() const override { return "NearestCentroid"; }
  std::vector<double> centroids_;  // k x p
  size_t p_ = 0;
  bool manhattan_ = false;

 protected:
  Status PredictIndex(const double* x, size_t rows, int32_t* out) const override {
    const size_t k = labels_.size();
    for (size_t r = 0; r < rows; ++r) {
      const double* xr = x + r * p_;
      double best = 0.0;
      for (size_t c = 0; c < k; ++c) {
        const double* m = &centroids_[c * p_];
        double d = 0.0;
        for (size_t f = 0; f < p_; ++f) {
          const double t = xr[f] - m[f];
          d += manhattan_ ? std::fabs(t) : t * t;
        }
        if (c == 0 || d < best) {
          best = d;
          out[r] = static_cast<int32_t>(c);
        }
      }
    }
    return OkStatus();
  }
};

}  // namespace

StatusOr<PredictorPtr> MakeQDA(const Attrs& a, BuildContext& ctx) {
  auto m = std::make_unique<QDA>();
  ASSIGN_OR_RETURN(m->labels_, Labels::FromValue(a.Get("classes_"), a.cls()));
  const size_t k = m->labels_.size();
  ASSIGN_OR_RETURN(Array means, a.Numbers("means_"));
  ASSIGN_OR_RETURN(Array priors, a.Numbers("priors_"));
  ASSIGN_OR_RETURN(const pickle::Value* rot, a.Require("rotations_"));
  ASSIGN_OR_RETURN(const pickle::Value* sc, a.Require("scalings_"));
  if (means.shape.size() != 2 || static_cast<size_t>(means.dim(0)) != k || priors.v.size() != k ||
      !rot->is_sequence() || !sc->is_sequence() || rot->items.size() != k ||
      sc->items.size() != k) {
    return a.Error("means_", "priors_, rotations_ and scalings_ do not describe " +
                                 std::to_string(k) + " classes");
  }
  m->p_ = static_cast<size_t>(means.dim(1));
  for (size_t c = 0; c < k; ++c) {
    auto R = ToArray(rot->items[c]);
    auto S = ToArray(sc->items[c]);
    if (!R.ok() || !S.ok() || R->shape.size() != 2 || static_cast<size_t>(R->dim(0)) != m->p_ ||
        static_cast<size_t>(R->dim(1)) != S->v.size()) {
      return a.Error("rotations_", "entry " + std::to_string(c) + " does not match scalings_");
    }
    RETURN_IF_ERROR(ctx.Charge(static_cast<int64_t>(R->v.size() + S->v.size())));
    QDA::ClassModel cm;
    cm.r = S->v.size();
    cm.mean.assign(means.v.begin() + c * m->p_, means.v.begin() + (c + 1) * m->p_);
    cm.w.resize(m->p_ * cm.r);
    double logsum = 0.0;
    for (size_t j = 0; j < cm.r; ++j) logsum += std::log(S->v[j]);
    for (size_t f = 0; f < m->p_; ++f) {
      for (size_t j = 0; j < cm.r; ++j) {
        cm.w[f * cm.r + j] = R->v[f * cm.r + j] * std::pow(S->v[j], -0.5);
      }
    }
    cm.offset = -0.5 * logsum + std::log(priors.v[c]);
    m->classes_.push_back(std::move(cm));
  }
  m->n_features_ = static_cast<int64_t>(m->p_);
  m->has_proba_ = true;
  m->has_decision_ = true;
  return PredictorPtr(std::move(m));
}

StatusOr<PredictorPtr> MakeNearestCentroid(const Attrs& a, BuildContext& ctx) {
  auto m = std::make_unique<NearestCentroid>();
  ASSIGN_OR_RETURN(m->labels_, Labels::FromValue(a.Get("classes_"), a.cls()));
  ASSIGN_OR_RETURN(Array c, a.Numbers("centroids_"));
  if (c.shape.size() != 2 || static_cast<size_t>(c.dim(0)) != m->labels_.size()) {
    return a.Error("centroids_", "does not hold one centroid per class");
  }
  const std::string metric = a.StrOr("metric", "euclidean");
  if (metric != "euclidean" && metric != "manhattan") {
    return a.Error("metric", "is '" + metric + "'; Ferry supports euclidean and manhattan");
  }
  m->manhattan_ = metric == "manhattan";
  m->p_ = static_cast<size_t>(c.dim(1));
  m->centroids_ = std::move(c.v);
  m->n_features_ = static_cast<int64_t>(m->p_);
  return PredictorPtr(std::move(m));
}

}  // namespace ferry::sklearn
