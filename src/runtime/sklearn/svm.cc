// SVC / NuSVC / SVR / NuSVR, following sklearn's vendored libsvm: one-vs-one
// decision values from the private (libsvm-sign) _dual_coef_/_intercept_,
// voting for predict, Platt sigmoids + libsvm's iterative
// multiclass_probability for predict_proba (also for two classes, as
// sklearn's libsvm does), and sklearn's ovr transform for decision_function.
#include <cmath>

#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

enum class Kernel { kLinear, kPoly, kRbf, kSigmoid };

struct KernelModel {
  Kernel kernel = Kernel::kRbf;
  double gamma = 1.0, coef0 = 0.0;
  int degree = 3;
  size_t p = 0;
  std::vector<double> sv;  // n_sv x p

  size_t n_sv() const { return p ? sv.size() / p : 0; }
  void Values(const double* x, double* k) const {
    for (size_t i = 0; i < n_sv(); ++i) {
      const double* s = &sv[i * p];
      double acc = 0.0;
      if (kernel == Kernel::kRbf) {
        for (size_t f = 0; f < p; ++f) {
          const double d = x[f] - s[f];
          acc += d * d;
        }
        k[i] = std::exp(-gamma * acc);
        continue;
      }
      for (size_t f = 0; f < p; ++f) {
        acc += x[f] * s[f];
      }
      switch (kernel) {
        case Kernel::kLinear:
          k[i] = acc;
          break;
        case Kernel::kPoly:
          k[i] = std::pow(gamma * acc + coef0, degree);
          break;
        case Kernel::kSigmoid:
          k[i] = std::tanh(gamma * acc + coef0);
          break;
        default:
          break;
      }
    }
  }
};

StatusOr<KernelModel> LoadKernel(const Attrs& a, int64_t* n_features) {
  KernelModel m;
  const std::string k = a.StrOr("kernel", "rbf");
  if (k == "linear") {
    m.kernel = Kernel::kLinear;
  } else if (k == "poly") {
    m.kernel = Kernel::kPoly;
  } else if (k == "rbf") {
    m.kernel = Kernel::kRbf;
  } else if (k == "sigmoid") {
    m.kernel = Kernel::kSigmoid;
  } else {
    return UnimplementedError(a.cls() + " with kernel '" + k +
                              "' is not supported (linear, poly, rbf, sigmoid are)");
  }
  if (a.BoolOr("_sparse", false)) {
    return UnimplementedError(a.cls() + " fitted on sparse input is not supported");
  }
  ASSIGN_OR_RETURN(m.gamma, a.Number("_gamma"));
  m.coef0 = a.NumberOr("coef0", 0.0);
  m.degree = static_cast<int>(a.NumberOr("degree", 3));
  ASSIGN_OR_RETURN(Array sv, a.Numbers("support_vectors_"));
  if (sv.shape.size() != 2) {
    return a.Error("support_vectors_", "is not 2-D");
  }
  m.p = sv.dim(1);
  m.sv = std::move(sv.v);
  *n_features = static_cast<int64_t>(m.p);
  if (a.Has("n_features_in_")) {
    ASSIGN_OR_RETURN(int64_t n, a.Int("n_features_in_"));
    if (n != *n_features) {
      return a.Error("support_vectors_", "disagree with n_features_in_");
    }
  }
  return m;
}

double SigmoidPredict(double dec, double A, double B) {
  const double f = dec * A + B;
  return f >= 0 ? std::exp(-f) / (1.0 + std::exp(-f)) : 1.0 / (1 + std::exp(f));
}

// libsvm multiclass_probability (Wu, Lin, Weng 2004, method 2).
void MulticlassProbability(size_t k, const std::vector<double>& r, double* p) {
  std::vector<double> Q(k * k), Qp(k);
  const int max_iter = std::max<int>(100, static_cast<int>(k));
  const double eps = 0.005 / k;
  for (size_t t = 0; t < k; ++t) {
    p[t] = 1.0 / k;
    Q[t * k + t] = 0;
    for (size_t j = 0; j < t; ++j) {
      Q[t * k + t] += r[j * k + t] * r[j * k + t];
      Q[t * k + j] = Q[j * k + t];
    }
    for (size_t j = t + 1; j < k; ++j) {
      Q[t * k + t] += r[j * k + t] * r[j * k + t];
      Q[t * k + j] = -r[j * k + t] * r[t * k + j];
    }
  }
  for (int iter = 0; iter < max_iter; ++iter) {
    double pQp = 0;
    for (size_t t = 0; t < k; ++t) {
      Qp[t] = 0;
      for (size_t j = 0; j < k; ++j) {
        Qp[t] += Q[t * k + j] * p[j];
      }
      pQp += p[t] * Qp[t];
    }
    double max_error = 0;
    for (size_t t = 0; t < k; ++t) {
      max_error = std::max(max_error, std::fabs(Qp[t] - pQp));
    }
    if (max_error < eps) {
      break;
    }
    for (size_t t = 0; t < k; ++t) {
      const double diff = (-Qp[t] + pQp) / Q[t * k + t];
      p[t] += diff;
      pQp = (pQp + diff * (diff * Q[t * k + t] + 2 * Qp[t])) / (1 + diff) / (1 + diff);
      for (size_t j = 0; j < k; ++j) {
        Qp[j] = (Qp[j] + diff * Q[t * k + j]) / (1 + diff);
        p[j] /= (1 + diff);
      }
    }
  }
}

class SVC : public Classifier {
 public:
  std::string name() const override { return name_; }

  // libsvm one-vs-one decision values (k(k-1)/2 per row), libsvm sign.
  void Ovo(const double* x, double* dec, double* kv) const {
    km_.Values(x, kv);
    const size_t k = labels_.size();
    size_t pair = 0;
    for (size_t i = 0; i < k; ++i) {
      for (size_t j = i + 1; j < k; ++j, ++pair) {
        double sum = 0;
        const double* c1 = &dual_[(j - 1) * km_.n_sv()];
        const double* c2 = &dual_[i * km_.n_sv()];
        for (size_t s = start_[i]; s < start_[i] + nsv_[i]; ++s) {
          sum += c1[s] * kv[s];
        }
        for (size_t s = start_[j]; s < start_[j] + nsv_[j]; ++s) {
          sum += c2[s] * kv[s];
        }
        dec[pair] = sum + intercept_[pair];
      }
    }
  }

  KernelModel km_;
  std::vector<double> dual_;  // (k-1) x n_sv
  std::vector<double> intercept_, prob_a_, prob_b_;
  std::vector<size_t> nsv_, start_;
  bool ovr_shape_ = true;
  bool break_ties_ = false;
  std::string name_;

 protected:
  size_t pairs() const { return labels_.size() * (labels_.size() - 1) / 2; }
  size_t decision_width() const override {
    const size_t k = labels_.size();
    if (k == 2) {
      return 1;
    }
    return ovr_shape_ ? k : pairs();
  }
  Status Decision(const double* x, size_t rows, double* out) const override;
  Status Proba(const double* x, size_t rows, double* out) const override;
  Status PredictIndex(const double* x, size_t rows, int32_t* out) const override;
};

Status SVC::Decision(const double* x, size_t rows, double* out) const {
  const size_t k = labels_.size(), w = decision_width(), np = pairs();
  std::vector<double> dec(np), kv(km_.n_sv());
  for (size_t r = 0; r < rows; ++r) {
    Ovo(x + r * km_.p, dec.data(), kv.data());
    double* o = out + r * w;
    if (k == 2) {
      o[0] = -dec[0];
    } else if (!ovr_shape_) {
      std::copy(dec.begin(), dec.end(), o);
    } else {
      // sklearn _ovr_decision_function(dec < 0, -dec, k).
      std::vector<double> votes(k, 0.0), conf(k, 0.0);
      size_t pair = 0;
      for (size_t i = 0; i < k; ++i) {
        for (size_t j = i + 1; j < k; ++j, ++pair) {
          conf[i] -= -dec[pair];
          conf[j] += -dec[pair];
          if (dec[pair] < 0) {
            votes[j] += 1;
          } else {
            votes[i] += 1;
          }
        }
      }
      for (size_t c = 0; c < k; ++c) {
        o[c] = votes[c] + conf[c] / (3 * (std::fabs(conf[c]) + 1));
      }
    }
  }
  return OkStatus();
}

Status SVC::PredictIndex(const double* x, size_t rows, int32_t* out) const {
  const size_t k = labels_.size();
  if (break_ties_ && ovr_shape_ && k > 2) {
    std::vector<double> d(rows * k);
    RETURN_IF_ERROR(Decision(x, rows, d.data()));
    for (size_t r = 0; r < rows; ++r) {
      out[r] = ArgMax(&d[r * k], k);
    }
    return OkStatus();
  }
  std::vector<double> dec(pairs()), kv(km_.n_sv()), votes(k);
  for (size_t r = 0; r < rows; ++r) {
    Ovo(x + r * km_.p, dec.data(), kv.data());
    std::fill(votes.begin(), votes.end(), 0.0);
    size_t pair = 0;
    for (size_t i = 0; i < k; ++i) {
      for (size_t j = i + 1; j < k; ++j, ++pair) {
        votes[dec[pair] > 0 ? i : j] += 1;
      }
    }
    out[r] = ArgMax(votes.data(), k);
  }
  return OkStatus();
}

Status SVC::Proba(const double* x, size_t rows, double* out) const {
  const size_t k = labels_.size();
  std::vector<double> dec(pairs()), kv(km_.n_sv()), pw(k * k);
  constexpr double kMinProb = 1e-7;
  for (size_t r = 0; r < rows; ++r) {
    Ovo(x + r * km_.p, dec.data(), kv.data());
    size_t pair = 0;
    for (size_t i = 0; i < k; ++i) {
      for (size_t j = i + 1; j < k; ++j, ++pair) {
        const double p = SigmoidPredict(dec[pair], prob_a_[pair], prob_b_[pair]);
        pw[i * k + j] = std::min(std::max(p, kMinProb), 1 - kMinProb);
        pw[j * k + i] = 1 - pw[i * k + j];
      }
    }
    MulticlassProbability(k, pw, out + r * k);
  }
  return OkStatus();
}

Status LoadDual(const Attrs& a, size_t rows, size_t n_sv, std::vector<double>* dual) {
  ASSIGN_OR_RETURN(Array d, a.Numbers("_dual_coef_"));
  if (d.shape.size() != 2 || static_cast<size_t>(d.dim(0)) != rows ||
      static_cast<size_t>(d.dim(1)) != n_sv) {
    return a.Error("_dual_coef_", "does not match the support vectors");
  }
  *dual = std::move(d.v);
  return OkStatus();
}

class SVR : public Regressor {
 public:
  std::string name() const override { return name_; }
  KernelModel km_;
  std::vector<double> dual_;
  double intercept_ = 0;
  std::string name_;

 protected:
  Status Values(const double* x, size_t rows, double* out) const override {
    std::vector<double> kv(km_.n_sv());
    for (size_t r = 0; r < rows; ++r) {
      km_.Values(x + r * km_.p, kv.data());
      double sum = 0;
      for (size_t s = 0; s < kv.size(); ++s) {
        sum += dual_[s] * kv[s];
      }
      out[r] = sum + intercept_;
    }
    return OkStatus();
  }
};

}  // namespace

StatusOr<PredictorPtr> MakeSVC(const Attrs& a, BuildContext& ctx) {
  auto m = std::make_unique<SVC>();
  m->name_ = a.cls();
  ASSIGN_OR_RETURN(m->km_, LoadKernel(a, &m->n_features_));
  ASSIGN_OR_RETURN(m->labels_, Labels::FromValue(a.Get("classes_"), a.cls()));
  const size_t k = m->labels_.size();
  if (k < 2) {
    return a.Error("classes_", "has fewer than two classes");
  }
  ASSIGN_OR_RETURN(Array nsv, a.Numbers("_n_support"));
  if (nsv.v.size() != k) {
    return a.Error("_n_support", "does not have one count per class");
  }
  size_t total = 0;
  for (double v : nsv.v) {
    if (v < 0) {
      return a.Error("_n_support", "is negative");
    }
    m->start_.push_back(total);
    m->nsv_.push_back(static_cast<size_t>(v));
    total += static_cast<size_t>(v);
  }
  if (total != m->km_.n_sv()) {
    return a.Error("_n_support", "does not add up to the support vectors");
  }
  RETURN_IF_ERROR(LoadDual(a, k - 1, total, &m->dual_));
  ASSIGN_OR_RETURN(Array b, a.Numbers("_intercept_"));
  if (b.v.size() != k * (k - 1) / 2) {
    return a.Error("_intercept_", "does not have one value per class pair");
  }
  m->intercept_ = std::move(b.v);
  m->ovr_shape_ = a.StrOr("decision_function_shape", "ovr") == "ovr";
  m->break_ties_ = a.BoolOr("break_ties", false);
  auto pa = ToArray(a.Get("_probA"));
  auto pb = ToArray(a.Get("_probB"));
  if (a.BoolOr("probability", false) && pa.ok() && pb.ok() && !pa->v.empty()) {
    if (pa->v.size() != m->intercept_.size() || pb->v.size() != m->intercept_.size()) {
      return a.Error("_probA", "does not have one value per class pair");
    }
    m->prob_a_ = std::move(pa->v);
    m->prob_b_ = std::move(pb->v);
    m->has_proba_ = true;
  }
  m->has_decision_ = true;
  return PredictorPtr(std::move(m));
}

StatusOr<PredictorPtr> MakeSVR(const Attrs& a, BuildContext& ctx) {
  auto m = std::make_unique<SVR>();
  m->name_ = a.cls();
  ASSIGN_OR_RETURN(m->km_, LoadKernel(a, &m->n_features_));
  RETURN_IF_ERROR(LoadDual(a, 1, m->km_.n_sv(), &m->dual_));
  ASSIGN_OR_RETURN(m->intercept_, a.Number("_intercept_"));
  return PredictorPtr(std::move(m));
}

}  // namespace ferry::sklearn
