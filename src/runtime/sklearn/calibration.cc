// CalibratedClassifierCV: the mean of its calibrated_classifiers_'
// probabilities. Each one takes its estimator's decision_function (or
// predict_proba, dropping the first column when binary), maps every column
// through its calibrator — _SigmoidCalibration expit(-(a·t + b)) or
// IsotonicRegression (clipped, numpy.interp over the thresholds) — and
// normalises, exactly as sklearn 1.2's _CalibratedClassifier.predict_proba.
#include <algorithm>
#include <cmath>

#include "runtime/sklearn/math.h"
#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

using pickle::Value;

struct Calibrator {
  bool sigmoid = true;
  double a = 0, b = 0;         // sigmoid
  std::vector<double> xs, ys;  // isotonic thresholds
  double lo = 0, hi = 0;       // X_min_, X_max_
  bool clip = true;

  double operator()(double t) const {
    if (sigmoid) return Expit(-(a * t + b));
    if (clip) t = std::clamp(t, lo, hi);
    const size_t n = xs.size();
    if (n == 1) return ys[0];
    if (std::isnan(t)) return t;
    if (t < xs[0] || t > xs[n - 1]) return NAN;  // interp1d's fill_value outside the range
    // numpy.interp: the last j with xs[j] <= t.
    const size_t j =
        static_cast<size_t>(std::upper_bound(xs.begin(), xs.end(), t) - xs.begin()) - 1;
    if (j == n - 1 || xs[j] == t) return ys[j];
    const double slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j]);
    double r = slope * (t - xs[j]) + ys[j];
    if (std::isnan(r)) {
      r = slope * (t - xs[j + 1]) + ys[j + 1];
      if (std::isnan(r) && ys[j] == ys[j + 1]) r = ys[j];
    }
    return r;
  }
};

struct Calibrated {
  PredictorPtr est;
  PredictMethod method = PredictMethod::kDecisionFunction;
  std::vector<size_t> columns;  // output column of each calibrator
  std::vector<Calibrator> calibrators;
};

class CalibratedClassifierCV : public Predictor {
 public:
  StatusOr<Tensor> Predict(const Frame& x, PredictMethod method) const override {
    const size_t k = labels_.size();
    const auto rows = static_cast<int64_t>(x.rows);
    if (method != PredictMethod::kPredict && method != PredictMethod::kPredictProba) {
      return UnimplementedError("CalibratedClassifierCV has no " +
                                std::string(PredictMethodName(method)));
    }
    std::vector<double> mean(x.rows * k, 0.0), p(x.rows * k);
    for (const Calibrated& c : parts_) {
      RETURN_IF_ERROR(Proba(c, x, &p));
      for (size_t i = 0; i < p.size(); ++i) mean[i] += p[i];
    }
    for (double& v : mean) v /= static_cast<double>(parts_.size());
    if (method == PredictMethod::kPredictProba) {
      return Tensor::FromDoubles(std::move(mean), {rows, static_cast<int64_t>(k)});
    }
    std::vector<int32_t> idx(x.rows);
    for (size_t r = 0; r < x.rows; ++r) idx[r] = ArgMax(&mean[r * k], k);
    return labels_.Make(idx.data(), x.rows);
  }
  std::vector<PredictMethod> methods() const override {
    return {PredictMethod::kPredict, PredictMethod::kPredictProba};
  }
  const Labels* labels() const override { return &labels_; }
  protocol::DataType output_datatype() const override { return labels_.datatype(); }
  int64_t n_features_in() const override { return parts_.front().est->n_features_in(); }
  bool accepts_strings() const override { return parts_.front().est->accepts_strings(); }
  std::string name() const override { return "CalibratedClassifierCV"; }

  std::vector<Calibrated> parts_;
  Labels labels_;

 private:
  Status Proba(const Calibrated& c, const Frame& x, std::vector<double>* p) const {
    const size_t k = labels_.size();
    ASSIGN_OR_RETURN(Tensor t, c.est->Predict(x, c.method));
    const size_t width = x.rows == 0 ? 0 : static_cast<size_t>(t.num_elements()) / x.rows;
    const size_t first = c.method == PredictMethod::kPredictProba && k == 2 ? 1 : 0;
    if (width * x.rows != static_cast<size_t>(t.num_elements()) ||
        width - first != c.calibrators.size()) {
      return InternalError("CalibratedClassifierCV: estimator " + c.est->name() +
                           " returned a shape its calibrators do not match");
    }
    std::fill(p->begin(), p->end(), 0.0);
    for (size_t r = 0; r < x.rows; ++r) {
      double* o = &(*p)[r * k];
      for (size_t j = 0; j < c.calibrators.size(); ++j) {
        o[c.columns[j]] = c.calibrators[j](t.AsDouble(static_cast<int64_t>(r * width + first + j)));
      }
      if (k == 2) {
        o[0] = 1.0 - o[1];
      } else {
        double s = 0.0;
        for (size_t j = 0; j < k; ++j) s += o[j];
        for (size_t j = 0; j < k; ++j) o[j] = s != 0 ? o[j] / s : 1.0 / static_cast<double>(k);
      }
      for (size_t j = 0; j < k; ++j) {
        if (o[j] > 1.0 && o[j] <= 1.0 + 1e-5) o[j] = 1.0;
      }
    }
    return OkStatus();
  }
};

StatusOr<Calibrator> LoadCalibrator(const Attrs& a, const Value* v) {
  if (v == nullptr || v->kind != pickle::Kind::kObject) {
    return a.Error("calibrated_classifiers_", "holds a calibrator that is not an object");
  }
  Attrs c(*v);
  Calibrator cal;
  if (v->object->name == "_SigmoidCalibration") {
    ASSIGN_OR_RETURN(cal.a, c.Number("a_"));
    ASSIGN_OR_RETURN(cal.b, c.Number("b_"));
    return cal;
  }
  if (v->object->name != "IsotonicRegression") {
    return a.Error("calibrated_classifiers_", "holds an unsupported calibrator " + v->object->name);
  }
  cal.sigmoid = false;
  ASSIGN_OR_RETURN(Array xs, c.Numbers("X_thresholds_"));
  ASSIGN_OR_RETURN(Array ys, c.Numbers("y_thresholds_"));
  const auto finite = [](double v) { return std::isfinite(v); };
  if (xs.v.empty() || xs.v.size() != ys.v.size() || !std::is_sorted(xs.v.begin(), xs.v.end()) ||
      !std::all_of(xs.v.begin(), xs.v.end(), finite)) {
    return c.Error("X_thresholds_", "and y_thresholds_ are not sorted finite pairs");
  }
  cal.xs = std::move(xs.v);
  cal.ys = std::move(ys.v);
  cal.clip = c.StrOr("out_of_bounds", "nan") == "clip";
  cal.lo = c.NumberOr("X_min_", cal.xs.front());
  cal.hi = c.NumberOr("X_max_", cal.xs.back());
  if (!(cal.lo <= cal.hi)) {
    return c.Error("X_min_", "is not below X_max_");
  }
  return cal;
}

// Position of label value `v` (from a member's classes) in `labels`, or -1.
int64_t Position(const Labels& labels, const Labels& member, size_t i) {
  for (size_t j = 0; j < labels.size(); ++j) {
    if (labels.type() == Labels::Type::kString ? labels.text()[j] == member.text()[i]
                                               : labels.numbers()[j] == member.numbers()[i]) {
      return static_cast<int64_t>(j);
    }
  }
  return -1;
}

}  // namespace

StatusOr<PredictorPtr> MakeCalibratedClassifier(const Attrs& a, BuildContext& ctx) {
  auto m = std::make_unique<CalibratedClassifierCV>();
  ASSIGN_OR_RETURN(m->labels_, Labels::FromValue(a.Get("classes_"), a.cls()));
  const size_t k = m->labels_.size();
  ASSIGN_OR_RETURN(const Value* list, a.Require("calibrated_classifiers_"));
  if (!list->is_sequence() || list->items.empty()) {
    return a.Error("calibrated_classifiers_", "is not a non-empty list");
  }
  for (const Value* v : list->items) {
    if (v == nullptr || v->kind != pickle::Kind::kObject) {
      return a.Error("calibrated_classifiers_",
                     "holds something other than calibrated classifiers");
    }
    Calibrated c;
    const Value* est = v->Get("estimator");
    if (est == nullptr) est = v->Get("base_estimator");  // sklearn < 1.2
    if (est == nullptr) {
      return a.Error("calibrated_classifiers_", "entry has no estimator");
    }
    ASSIGN_OR_RETURN(c.est, BuildPredictor(*est, ctx));
    c.method = HasMethod(*c.est, PredictMethod::kDecisionFunction)
                   ? PredictMethod::kDecisionFunction
                   : PredictMethod::kPredictProba;
    if (c.method == PredictMethod::kPredictProba &&
        !HasMethod(*c.est, PredictMethod::kPredictProba)) {
      return a.Error(
          "calibrated_classifiers_",
          "estimator " + c.est->name() + " has neither decision_function nor predict_proba");
    }
    const Labels* el = c.est->labels();
    if (el == nullptr ||
        (el->type() == Labels::Type::kString) != (m->labels_.type() == Labels::Type::kString)) {
      return a.Error("calibrated_classifiers_",
                     "estimator " + c.est->name() + " is not a classifier over classes_");
    }
    const Value* cals = v->Get("calibrators");
    if (cals == nullptr || !cals->is_sequence() || cals->items.empty()) {
      return a.Error("calibrated_classifiers_", "entry has no calibrators");
    }
    for (const Value* cv : cals->items) {
      ASSIGN_OR_RETURN(Calibrator cal, LoadCalibrator(a, cv));
      c.calibrators.push_back(std::move(cal));
    }
    if (k == 2) {
      if (c.calibrators.size() != 1) {
        return a.Error("calibrated_classifiers_", "a binary problem needs one calibrator");
      }
      c.columns = {1};
    } else {
      if (c.calibrators.size() != el->size()) {
        return a.Error("calibrated_classifiers_", "has " + std::to_string(c.calibrators.size()) +
                                                      " calibrators for " +
                                                      std::to_string(el->size()) + " classes");
      }
      for (size_t i = 0; i < el->size(); ++i) {
        const int64_t pos = Position(m->labels_, *el, i);
        if (pos < 0) {
          return a.Error("calibrated_classifiers_", "estimator knows a class outside classes_");
        }
        c.columns.push_back(static_cast<size_t>(pos));
      }
    }
    m->parts_.push_back(std::move(c));
  }
  return PredictorPtr(std::move(m));
}

}  // namespace ferry::sklearn
