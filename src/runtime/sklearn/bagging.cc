// BaggingClassifier and BaggingRegressor over any supported estimator.
// Each member sees its own estimators_features_ columns. As sklearn:
// predict_proba sums member probabilities (a member without predict_proba
// votes with predict; one whose bootstrap missed classes adds into its own
// classes' columns) and divides by n_estimators; predict_log_proba combines
// member log-probabilities with logaddexp when the members have them;
// decision_function and the regressor average. Members were fitted on class
// indices, so their labels are positions in classes_.
#include <cmath>

#include "runtime/sklearn/frame_ops.h"
#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

using pickle::Value;

// numpy.logaddexp.
double LogAddExp(double a, double b) {
  if (a == b) return a + M_LN2;
  const double d = a - b;
  if (d > 0) return a + std::log1p(std::exp(-d));
  if (d <= 0) return b + std::log1p(std::exp(d));
  return d;  // NaN
}

class Bagging : public Predictor {
 public:
  struct Member {
    PredictorPtr est;
    std::vector<size_t> features;
    std::vector<size_t> classes;  // classifier: its classes_ as positions in ours
  };

  StatusOr<Tensor> Predict(const Frame& x, PredictMethod method) const override {
    const auto rows = static_cast<int64_t>(x.rows);
    if (n_ >= 0 && static_cast<int64_t>(x.cols) != n_) {
      return InvalidArgumentError(name_ + " expects " + std::to_string(n_) +
                                  " features per row but the input has " + std::to_string(x.cols));
    }
    if (!HasMethod(*this, method)) {
      return UnimplementedError(name_ + " has no " + std::string(PredictMethodName(method)));
    }
    if (regressor_ || method == PredictMethod::kDecisionFunction) {
      size_t width = 0;
      std::vector<double> sum;
      for (const Member& m : members_) {
        ASSIGN_OR_RETURN(Tensor t, Run(m, x, method));
        if (sum.empty()) {
          width = x.rows == 0 ? 1 : static_cast<size_t>(t.num_elements()) / x.rows;
          sum.assign(x.rows * width, 0.0);
        }
        if (t.num_elements() != static_cast<int64_t>(sum.size())) {
          return InternalError(name_ + ": members disagree on the output shape");
        }
        for (size_t i = 0; i < sum.size(); ++i) sum[i] += t.AsDouble(static_cast<int64_t>(i));
      }
      for (double& v : sum) v /= static_cast<double>(members_.size());
      if (width <= 1) return Tensor::FromDoubles(std::move(sum), {rows});
      return Tensor::FromDoubles(std::move(sum), {rows, static_cast<int64_t>(width)});
    }
    const size_t k = labels_.size();
    std::vector<double> p(x.rows * k);
    if (method == PredictMethod::kPredictLogProba && member_log_proba_) {
      RETURN_IF_ERROR(LogProba(x, &p));
      return Tensor::FromDoubles(std::move(p), {rows, static_cast<int64_t>(k)});
    }
    RETURN_IF_ERROR(Proba(x, &p));
    if (method == PredictMethod::kPredict) {
      std::vector<int32_t> idx(x.rows);
      for (size_t r = 0; r < x.rows; ++r) idx[r] = ArgMax(&p[r * k], k);
      return labels_.Make(idx.data(), x.rows);
    }
    if (method == PredictMethod::kPredictLogProba) {
      for (double& v : p) v = std::log(v);
    }
    return Tensor::FromDoubles(std::move(p), {rows, static_cast<int64_t>(k)});
  }

  std::vector<PredictMethod> methods() const override {
    if (regressor_) return {PredictMethod::kPredict};
    std::vector<PredictMethod> m{PredictMethod::kPredict, PredictMethod::kPredictProba,
                                 PredictMethod::kPredictLogProba};
    if (member_decision_) m.push_back(PredictMethod::kDecisionFunction);
    return m;
  }
  const Labels* labels() const override { return regressor_ ? nullptr : &labels_; }
  protocol::DataType output_datatype() const override {
    return regressor_ ? protocol::DataType::kFp64 : labels_.datatype();
  }
  int64_t n_features_in() const override { return n_; }
  std::string name() const override { return name_; }

  std::vector<Member> members_;
  Labels labels_;
  int64_t n_ = -1;
  bool regressor_ = false;
  bool member_proba_ = false, member_log_proba_ = false, member_decision_ = false;
  std::string name_;

 private:
  StatusOr<Tensor> Run(const Member& m, const Frame& x, PredictMethod method) const {
    Frame sub;
    SelectColumns(x, m.features, &sub);
    return m.est->Predict(sub, method);
  }

  // sum over members / n_estimators, as _parallel_predict_proba.
  Status Proba(const Frame& x, std::vector<double>* p) const {
    const size_t k = labels_.size();
    for (const Member& m : members_) {
      const size_t mk = m.classes.size();
      if (member_proba_) {
        ASSIGN_OR_RETURN(Tensor t, Run(m, x, PredictMethod::kPredictProba));
        if (t.num_elements() != static_cast<int64_t>(x.rows * mk)) {
          return InternalError(name_ + ": member " + m.est->name() + " returned a bad shape");
        }
        for (size_t r = 0; r < x.rows; ++r) {
          for (size_t j = 0; j < mk; ++j) {
            (*p)[r * k + m.classes[j]] += t.AsDouble(static_cast<int64_t>(r * mk + j));
          }
        }
      } else {
        ASSIGN_OR_RETURN(Tensor t, Run(m, x, PredictMethod::kPredict));
        if (t.num_elements() != static_cast<int64_t>(x.rows)) {
          return InternalError(name_ + ": member " + m.est->name() + " returned a bad shape");
        }
        for (size_t r = 0; r < x.rows; ++r) {
          const double v = t.AsDouble(static_cast<int64_t>(r));
          if (!(v >= 0 && v < static_cast<double>(k))) {
            return InternalError(name_ + ": member predicted a class outside classes_");
          }
          (*p)[r * k + static_cast<size_t>(v)] += 1.0;
        }
      }
    }
    for (double& v : *p) v /= static_cast<double>(members_.size());
    return OkStatus();
  }

  // _parallel_predict_log_proba, then - log(n_estimators).
  Status LogProba(const Frame& x, std::vector<double>* lp) const {
    const size_t k = labels_.size();
    std::fill(lp->begin(), lp->end(), -INFINITY);
    for (const Member& m : members_) {
      const size_t mk = m.classes.size();
      ASSIGN_OR_RETURN(Tensor t, Run(m, x, PredictMethod::kPredictLogProba));
      if (t.num_elements() != static_cast<int64_t>(x.rows * mk)) {
        return InternalError(name_ + ": member " + m.est->name() + " returned a bad shape");
      }
      for (size_t r = 0; r < x.rows; ++r) {
        for (size_t j = 0; j < mk; ++j) {
          double& o = (*lp)[r * k + m.classes[j]];
          o = LogAddExp(o, t.AsDouble(static_cast<int64_t>(r * mk + j)));
        }
      }
      // Missing classes: logaddexp(v, -inf) leaves v unchanged.
    }
    const double n = std::log(static_cast<double>(members_.size()));
    for (double& v : *lp) v -= n;
    return OkStatus();
  }
};

}  // namespace

StatusOr<PredictorPtr> MakeBagging(const Attrs& a, BuildContext& ctx) {
  auto b = std::make_unique<Bagging>();
  b->name_ = a.cls();
  b->regressor_ = a.cls() == "BaggingRegressor";
  ASSIGN_OR_RETURN(const Value* ests, a.Require("estimators_"));
  ASSIGN_OR_RETURN(const Value* feats, a.Require("estimators_features_"));
  if (!ests->is_sequence() || !feats->is_sequence() || ests->items.empty() ||
      ests->items.size() != feats->items.size()) {
    return a.Error("estimators_", "and estimators_features_ are not two lists of equal length");
  }
  ASSIGN_OR_RETURN(b->n_, a.Int("n_features_in_"));
  if (!b->regressor_) {
    ASSIGN_OR_RETURN(b->labels_, Labels::FromValue(a.Get("classes_"), a.cls()));
  }
  for (size_t i = 0; i < ests->items.size(); ++i) {
    Bagging::Member m;
    ASSIGN_OR_RETURN(m.est, BuildPredictor(*ests->items[i], ctx));
    auto f = ToArray(feats->items[i]);
    if (!f.ok() || f->shape.size() != 1 || f->v.empty()) {
      return a.Error("estimators_features_",
                     "entry " + std::to_string(i) + " is not a 1-D index array");
    }
    RETURN_IF_ERROR(ctx.Charge(static_cast<int64_t>(f->v.size())));
    for (double v : f->v) {
      if (!(v >= 0 && v < static_cast<double>(b->n_)) || v != std::floor(v)) {
        return a.Error("estimators_features_", "holds a column outside the input");
      }
      m.features.push_back(static_cast<size_t>(v));
    }
    if (m.est->n_features_in() >= 0 &&
        m.est->n_features_in() != static_cast<int64_t>(m.features.size())) {
      return a.Error("estimators_features_", "disagrees with member " + std::to_string(i));
    }
    if (!b->regressor_) {
      const Labels* l = m.est->labels();
      if (l == nullptr || l->type() == Labels::Type::kString) {
        return a.Error("estimators_", "member " + std::to_string(i) + " is not a classifier");
      }
      for (double c : l->numbers()) {
        if (!(c >= 0 && c < static_cast<double>(b->labels_.size())) || c != std::floor(c)) {
          return a.Error("estimators_", "member " + std::to_string(i) +
                                            " has classes outside the ensemble's classes_");
        }
        m.classes.push_back(static_cast<size_t>(c));
      }
    }
    b->members_.push_back(std::move(m));
  }
  const Predictor& first = *b->members_.front().est;
  b->member_proba_ = HasMethod(first, PredictMethod::kPredictProba);
  b->member_log_proba_ = HasMethod(first, PredictMethod::kPredictLogProba);
  b->member_decision_ = HasMethod(first, PredictMethod::kDecisionFunction);
  for (const auto& m : b->members_) {
    if (HasMethod(*m.est, PredictMethod::kPredictProba) != b->member_proba_ ||
        HasMethod(*m.est, PredictMethod::kPredictLogProba) != b->member_log_proba_ ||
        HasMethod(*m.est, PredictMethod::kDecisionFunction) != b->member_decision_) {
      return a.Error("estimators_", "members do not all offer the same methods");
    }
  }
  return PredictorPtr(std::move(b));
}

}  // namespace ferry::sklearn
