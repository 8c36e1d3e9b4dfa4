// GaussianNB, MultinomialNB and BernoulliNB: a joint log-likelihood per
// class; proba = exp(jll - logsumexp(jll)), log-proba computed directly so
// tiny probabilities keep their finite logs as in sklearn.
#include <cmath>

#include "runtime/sklearn/math.h"
#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

class NaiveBayes : public Classifier {
 public:
  enum class Type { kGaussian, kMultinomial, kBernoulli };
  std::string name() const override { return name_; }

  Type type_ = Type::kGaussian;
  std::vector<double> a_;  // Gaussian: theta (k x p); discrete: feature_log_prob_ (k x p)
  std::vector<double> b_;  // Gaussian: var (k x p); Bernoulli: feature_log_prob_ - neg_prob
  std::vector<double> c_;  // per class constant
  bool binarize_ = false;
  double threshold_ = 0.0;
  std::string name_;

 protected:
  void Jll(const double* x, double* jll) const {
    const size_t k = labels_.size(), p = static_cast<size_t>(n_features_);
    for (size_t c = 0; c < k; ++c) {
      double s = 0.0;
      if (type_ == Type::kGaussian) {
        for (size_t f = 0; f < p; ++f) {
          const double d = x[f] - a_[c * p + f];
          s += d * d / b_[c * p + f];
        }
        jll[c] = c_[c] - 0.5 * s;
        continue;
      }
      const std::vector<double>& w = type_ == Type::kMultinomial ? a_ : b_;
      for (size_t f = 0; f < p; ++f) {
        double v = x[f];
        if (binarize_) {
          v = v > threshold_ ? 1.0 : 0.0;
        }
        s += v * w[c * p + f];
      }
      jll[c] = s + c_[c];
    }
  }
  Status LogProba(const double* x, size_t rows, double* out) const override {
    const size_t k = labels_.size();
    for (size_t r = 0; r < rows; ++r) {
      double* o = out + r * k;
      Jll(x + r * n_features_, o);
      const double lse = LogSumExp(o, k);
      for (size_t c = 0; c < k; ++c) {
        o[c] -= lse;
      }
    }
    return OkStatus();
  }
  Status Proba(const double* x, size_t rows, double* out) const override {
    RETURN_IF_ERROR(LogProba(x, rows, out));
    for (size_t i = 0; i < rows * labels_.size(); ++i) {
      out[i] = std::exp(out[i]);
    }
    return OkStatus();
  }
  Status PredictIndex(const double* x, size_t rows, int32_t* out) const override {
    std::vector<double> jll(labels_.size());
    for (size_t r = 0; r < rows; ++r) {
      Jll(x + r * n_features_, jll.data());
      out[r] = ArgMax(jll.data(), jll.size());
    }
    return OkStatus();
  }
};

Status CheckMatrix(const Attrs& a, const Array& m, std::string_view key, size_t k, int64_t* p) {
  if (m.shape.size() != 2 || static_cast<size_t>(m.dim(0)) != k) {
    return a.Error(key, "is not (n_classes, n_features)");
  }
  *p = m.dim(1);
  return OkStatus();
}

}  // namespace

StatusOr<PredictorPtr> MakeGaussianNB(const Attrs& a, BuildContext& ctx) {
  auto m = std::make_unique<NaiveBayes>();
  m->name_ = a.cls();
  ASSIGN_OR_RETURN(m->labels_, Labels::FromValue(a.Get("classes_"), a.cls()));
  const size_t k = m->labels_.size();
  ASSIGN_OR_RETURN(Array theta, a.Numbers("theta_"));
  ASSIGN_OR_RETURN(Array var, a.Numbers(a.Has("var_") ? "var_" : "sigma_"));
  ASSIGN_OR_RETURN(Array prior, a.Numbers("class_prior_"));
  RETURN_IF_ERROR(CheckMatrix(a, theta, "theta_", k, &m->n_features_));
  if (var.v.size() != theta.v.size() || prior.v.size() != k) {
    return a.Error("var_", "does not match theta_ and classes_");
  }
  const size_t p = static_cast<size_t>(m->n_features_);
  for (size_t c = 0; c < k; ++c) {
    double s = 0.0;
    for (size_t f = 0; f < p; ++f) {
      s += std::log(2.0 * M_PI * var.v[c * p + f]);
    }
    m->c_.push_back(std::log(prior.v[c]) + -0.5 * s);
  }
  m->a_ = std::move(theta.v);
  m->b_ = std::move(var.v);
  m->has_proba_ = true;
  return PredictorPtr(std::move(m));
}

StatusOr<PredictorPtr> MakeDiscreteNB(const Attrs& a, BuildContext& ctx) {
  auto m = std::make_unique<NaiveBayes>();
  m->name_ = a.cls();
  ASSIGN_OR_RETURN(m->labels_, Labels::FromValue(a.Get("classes_"), a.cls()));
  const size_t k = m->labels_.size();
  ASSIGN_OR_RETURN(Array flp, a.Numbers("feature_log_prob_"));
  ASSIGN_OR_RETURN(Array prior, a.Numbers("class_log_prior_"));
  RETURN_IF_ERROR(CheckMatrix(a, flp, "feature_log_prob_", k, &m->n_features_));
  if (prior.v.size() != k) {
    return a.Error("class_log_prior_", "does not match classes_");
  }
  m->c_ = prior.v;
  const size_t p = static_cast<size_t>(m->n_features_);
  if (a.cls() == "MultinomialNB") {
    m->type_ = NaiveBayes::Type::kMultinomial;
  } else {
    m->type_ = NaiveBayes::Type::kBernoulli;
    const pickle::Value* bin = a.Get("binarize");
    m->binarize_ = bin != nullptr && bin->is_number();
    m->threshold_ = a.NumberOr("binarize", 0.0);
    m->b_.resize(k * p);
    for (size_t c = 0; c < k; ++c) {
      double neg_sum = 0.0;
      for (size_t f = 0; f < p; ++f) {
        const double neg = std::log(1 - std::exp(flp.v[c * p + f]));
        m->b_[c * p + f] = flp.v[c * p + f] - neg;
        neg_sum += neg;
      }
      m->c_[c] += neg_sum;
    }
  }
  m->a_ = std::move(flp.v);
  m->has_proba_ = true;
  return PredictorPtr(std::move(m));
}

}  // namespace ferry::sklearn
