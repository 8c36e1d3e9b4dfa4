// Linear models: LogisticRegression(CV), SGDClassifier, LinearSVC, Perceptron,
// PassiveAggressiveClassifier, RidgeClassifier(CV) and the linear regressors
// (LinearRegression, Ridge, Lasso, ElasticNet, their CV and Lars variants,
// BayesianRidge, HuberRegressor, ...: every model whose predict is
// X·coef_ᵀ + intercept_).
// All share d = X·coefᵀ + intercept; coef is stored row-major (k x p) so the
// one-row path is k dot products with no allocation beyond the output.
#include <cfloat>
#include <cmath>

#include "runtime/sklearn/math.h"
#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

struct LinearCore {
  std::vector<double> coef;       // k x p
  std::vector<double> intercept;  // k
  size_t k = 0;
  size_t p = 0;
  bool coef_2d = false;

  void Decision(const double* x, size_t rows, double* out) const {
    for (size_t r = 0; r < rows; ++r) {
      const double* xr = x + r * p;
      for (size_t j = 0; j < k; ++j) {
        const double* w = &coef[j * p];
        double s = 0.0;
        for (size_t f = 0; f < p; ++f) {
          s += xr[f] * w[f];
        }
        out[r * k + j] = s + intercept[j];
      }
    }
  }

  // The exact decomposition of Decision: coef_jf * x_f per feature, the
  // intercept as the bias; rows x k x (p + 1).
  void Contributions(const double* x, size_t rows, double* out) const {
    for (size_t r = 0; r < rows; ++r) {
      const double* xr = x + r * p;
      for (size_t j = 0; j < k; ++j) {
        const double* w = &coef[j * p];
        double* phi = out + (r * k + j) * (p + 1);
        for (size_t f = 0; f < p; ++f) {
          phi[f] = w[f] * xr[f];
        }
        phi[p] = intercept[j];
      }
    }
  }
};

StatusOr<LinearCore> LoadLinear(const Attrs& a) {
  LinearCore c;
  ASSIGN_OR_RETURN(Array coef, a.Numbers("coef_"));
  if (coef.shape.size() == 1) {
    c.k = 1;
    c.p = coef.dim(0);
  } else if (coef.shape.size() == 2) {
    c.k = coef.dim(0);
    c.p = coef.dim(1);
    c.coef_2d = true;
  } else {
    return a.Error("coef_", "is not 1-D or 2-D");
  }
  c.coef = std::move(coef.v);
  ASSIGN_OR_RETURN(Array b, a.Numbers("intercept_"));
  if (b.v.size() == 1) {
    c.intercept.assign(c.k, b.v[0]);
  } else if (b.v.size() == c.k) {
    c.intercept = std::move(b.v);
  } else {
    return a.Error("intercept_", "has " + std::to_string(b.v.size()) + " values, coef_ has " +
                                     std::to_string(c.k) + " rows");
  }
  if (a.Has("n_features_in_")) {
    ASSIGN_OR_RETURN(int64_t n, a.Int("n_features_in_"));
    if (n != static_cast<int64_t>(c.p)) {
      return a.Error("coef_", "disagrees with n_features_in_");
    }
  }
  return c;
}

// LogisticRegression / SGDClassifier / LinearSVC.
class LinearClassifier : public Classifier {
 public:
  // kExpitSoftmax: LinearDiscriminantAnalysis (expit when binary, else softmax).
  enum class ProbaKind { kNone, kOvr, kMultinomial, kModifiedHuber, kExpitSoftmax };

  // `classes` is the classes_ value (RidgeClassifier keeps it on its
  // _label_binarizer); null means the estimator's own classes_.
  static StatusOr<PredictorPtr> Make(const Attrs& a, ProbaKind proba,
                                     const pickle::Value* classes = nullptr) {
    auto m = std::make_unique<LinearClassifier>();
    m->name_ = a.cls();
    ASSIGN_OR_RETURN(m->core_, LoadLinear(a));
    ASSIGN_OR_RETURN(m->labels_,
                     Labels::FromValue(classes != nullptr ? classes : a.Get("classes_"), a.cls()));
    const size_t n = m->labels_.size();
    if (n < 2 || !((n == 2 && m->core_.k == 1) || (n > 2 && m->core_.k == n))) {
      return a.Error("coef_", "has " + std::to_string(m->core_.k) + " rows for " +
                                  std::to_string(n) + " classes");
    }
    m->n_features_ = static_cast<int64_t>(m->core_.p);
    m->proba_ = proba;
    m->has_proba_ = proba != ProbaKind::kNone;
    m->has_decision_ = true;
    return PredictorPtr(std::move(m));
  }
  std::string name() const override { return name_; }
  // Explained output: decision_function (log-odds for logistic models).
  size_t contribution_outputs() const override { return core_.k; }
  Status Contributions(const double* x, size_t rows, double* out) const override {
    core_.Contributions(x, rows, out);
    return OkStatus();
  }

 protected:
  Status Decision(const double* x, size_t rows, double* out) const override {
    core_.Decision(x, rows, out);
    return OkStatus();
  }
  Status Proba(const double* x, size_t rows, double* out) const override;
  Status LogProba(const double* x, size_t rows, double* out) const override {
    RETURN_IF_ERROR(Proba(x, rows, out));
    for (size_t i = 0; i < rows * labels_.size(); ++i) {
      // LinearDiscriminantAnalysis lifts exact zeros to the smallest normal double first.
      out[i] = std::log(out[i] == 0.0 && log_floor_ ? DBL_MIN : out[i]);
    }
    return OkStatus();
  }

 public:
  bool log_floor_ = false;

 private:
  LinearCore core_;
  ProbaKind proba_ = ProbaKind::kNone;
  std::string name_;
};

Status LinearClassifier::Proba(const double* x, size_t rows, double* out) const {
  const size_t k = core_.k;
  const size_t n = labels_.size();
  double d_small[16];
  std::vector<double> d_big;
  double* d = d_small;
  if (k > 16) {
    d_big.resize(k);
    d = d_big.data();
  }
  for (size_t r = 0; r < rows; ++r) {
    core_.Decision(x + r * core_.p, 1, d);
    double* o = out + r * n;
    switch (proba_) {
      case ProbaKind::kOvr:
        if (k == 1) {
          const double p = Expit(d[0]);
          o[0] = 1.0 - p;
          o[1] = p;
        } else {
          double s = 0.0;
          for (size_t j = 0; j < k; ++j) {
            s += (o[j] = Expit(d[j]));
          }
          for (size_t j = 0; j < k; ++j) {
            o[j] /= s;
          }
        }
        break;
      case ProbaKind::kMultinomial:
        if (k == 1) {
          o[0] = -d[0];
          o[1] = d[0];
        } else {
          for (size_t j = 0; j < k; ++j) {
            o[j] = d[j];
          }
        }
        SoftmaxInPlace(o, n);
        break;
      case ProbaKind::kModifiedHuber: {
        if (k == 1) {
          const double p = (std::clamp(d[0], -1.0, 1.0) + 1.0) / 2.0;
          o[0] = 1.0 - p;
          o[1] = p;
          break;
        }
        double s = 0.0;
        for (size_t j = 0; j < k; ++j) {
          s += (o[j] = (std::clamp(d[j], -1.0, 1.0) + 1.0) / 2.0);
        }
        for (size_t j = 0; j < k; ++j) {
          o[j] = s == 0.0 ? 1.0 / k : o[j] / s;
        }
        break;
      }
      case ProbaKind::kExpitSoftmax:
        if (k == 1) {
          const double p = Expit(d[0]);
          o[0] = 1.0 - p;
          o[1] = p;
        } else {
          std::copy(d, d + k, o);
          SoftmaxInPlace(o, n);
        }
        break;
      case ProbaKind::kNone:
        return UnimplementedError(name_ + " has no predict_proba");
    }
  }
  return OkStatus();
}

class LinearRegressor : public Regressor {
 public:
  static StatusOr<PredictorPtr> Make(const Attrs& a) {
    auto m = std::make_unique<LinearRegressor>();
    m->name_ = a.cls();
    ASSIGN_OR_RETURN(m->core_, LoadLinear(a));
    m->n_features_ = static_cast<int64_t>(m->core_.p);
    m->n_outputs_ = m->core_.k;
    m->output_2d_ = m->core_.coef_2d;
    return PredictorPtr(std::move(m));
  }
  std::string name() const override { return name_; }
  // Explained output: X·coef + intercept (for log-link GLMs, the log of predict).
  size_t contribution_outputs() const override { return core_.k; }
  Status Contributions(const double* x, size_t rows, double* out) const override {
    core_.Contributions(x, rows, out);
    return OkStatus();
  }

 protected:
  Status Values(const double* x, size_t rows, double* out) const override {
    core_.Decision(x, rows, out);
    if (log_link_) {
      for (size_t i = 0; i < rows * core_.k; ++i) out[i] = std::exp(out[i]);
    }
    return OkStatus();
  }

 public:
  bool log_link_ = false;  // Poisson/Gamma/Tweedie GLMs: predict = exp(X·coef + b)

 private:
  LinearCore core_;
  std::string name_;
};

}  // namespace

StatusOr<PredictorPtr> MakeLogisticRegression(const Attrs& a, BuildContext& ctx) {
  std::string mc = a.StrOr("multi_class", "auto");
  const std::string solver = a.StrOr("solver", "lbfgs");
  auto classes = a.Get("classes_");
  size_t n_classes = 0;
  if (classes != nullptr && classes->array) {
    n_classes = classes->array->size();
  }
  if (mc == "deprecated") {
    mc = "auto";
  }
  const bool ovr =
      mc == "ovr" || mc == "warn" || (mc == "auto" && (n_classes <= 2 || solver == "liblinear"));
  return LinearClassifier::Make(
      a, ovr ? LinearClassifier::ProbaKind::kOvr : LinearClassifier::ProbaKind::kMultinomial);
}

StatusOr<PredictorPtr> MakeSGDClassifier(const Attrs& a, BuildContext& ctx) {
  const std::string loss = a.StrOr("loss", "hinge");
  auto kind = LinearClassifier::ProbaKind::kNone;
  if (loss == "log_loss" || loss == "log") {
    kind = LinearClassifier::ProbaKind::kOvr;
  }
  if (loss == "modified_huber") {
    kind = LinearClassifier::ProbaKind::kModifiedHuber;
  }
  return LinearClassifier::Make(a, kind);
}

StatusOr<PredictorPtr> MakeLinearSVC(const Attrs& a, BuildContext& ctx) {
  return LinearClassifier::Make(a, LinearClassifier::ProbaKind::kNone);
}

StatusOr<PredictorPtr> MakeRidgeClassifier(const Attrs& a, BuildContext& ctx) {
  // classes_ is a property reading _label_binarizer.classes_.
  const pickle::Value* classes = a.Get("classes_");
  if (classes == nullptr) {
    const pickle::Value* lb = a.Get("_label_binarizer");
    if (lb == nullptr || lb->kind != pickle::Kind::kObject) {
      return a.Error("_label_binarizer", "is missing (is the estimator fitted?)");
    }
    const std::string y_type = Attrs(*lb).StrOr("y_type_", "multiclass");
    if (y_type != "binary" && y_type != "multiclass") {
      return a.Error("_label_binarizer", "was fitted on " + y_type +
                                             " targets; only binary and multiclass "
                                             "RidgeClassifiers are supported");
    }
    classes = lb->Get("classes_");
  }
  return LinearClassifier::Make(a, LinearClassifier::ProbaKind::kNone, classes);
}

StatusOr<PredictorPtr> MakeLinearDiscriminant(const Attrs& a, BuildContext& ctx) {
  ASSIGN_OR_RETURN(PredictorPtr p,
                   LinearClassifier::Make(a, LinearClassifier::ProbaKind::kExpitSoftmax));
  static_cast<LinearClassifier*>(p.get())->log_floor_ = true;
  return p;
}

StatusOr<PredictorPtr> MakeLinearRegressor(const Attrs& a, BuildContext& ctx) {
  return LinearRegressor::Make(a);
}

StatusOr<PredictorPtr> MakeGlmRegressor(const Attrs& a, BuildContext& ctx) {
  // predict = _base_loss.link.inverse(X·coef_ + intercept_).
  const pickle::Value* loss = a.Get("_base_loss");
  const pickle::Value* link = loss != nullptr ? loss->Get("link") : nullptr;
  if (link == nullptr || link->kind != pickle::Kind::kObject) {
    return a.Error("_base_loss", "has no link (is the estimator fitted?)");
  }
  const std::string& name = link->object->name;
  if (name != "IdentityLink" && name != "LogLink") {
    return a.Error("_base_loss", "uses " + name + "; Ferry supports the identity and log links");
  }
  ASSIGN_OR_RETURN(PredictorPtr p, LinearRegressor::Make(a));
  static_cast<LinearRegressor*>(p.get())->log_link_ = name == "LogLink";
  return p;
}

}  // namespace ferry::sklearn
