// AdaBoostClassifier (SAMME and SAMME.R) and AdaBoostRegressor (weighted
// median), over any supported estimator, computed as sklearn 1.2 does:
// decision_function sums the members' SAMME.R log-probability terms (or their
// weighted votes) over estimator_weights_.sum(); predict_proba is the softmax
// of decision / (n_classes - 1) (binary: of [-d, d] / 2).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <numeric>

#include "runtime/sklearn/math.h"
#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

using pickle::Value;

class AdaBoostClassifier : public Predictor {
 public:
  StatusOr<Tensor> Predict(const Frame& x, PredictMethod method) const override {
    const size_t k = labels_.size();
    const auto rows = static_cast<int64_t>(x.rows);
    std::vector<double> d(x.rows * k, 0.0);
    RETURN_IF_ERROR(Decision(x, &d));
    switch (method) {
      case PredictMethod::kPredict: {
        std::vector<int32_t> idx(x.rows);
        for (size_t r = 0; r < x.rows; ++r) {
          idx[r] = k == 2 ? (Binary(&d[r * 2]) > 0 ? 1 : 0) : ArgMax(&d[r * k], k);
        }
        return labels_.Make(idx.data(), x.rows);
      }
      case PredictMethod::kDecisionFunction: {
        if (k == 2) {
          std::vector<double> out(x.rows);
          for (size_t r = 0; r < x.rows; ++r) out[r] = Binary(&d[r * 2]);
          return Tensor::FromDoubles(std::move(out), {rows});
        }
        return Tensor::FromDoubles(std::move(d), {rows, static_cast<int64_t>(k)});
      }
      case PredictMethod::kPredictProba:
      case PredictMethod::kPredictLogProba: {
        for (size_t r = 0; r < x.rows; ++r) {
          double* o = &d[r * k];
          if (k == 2) {
            const double b = Binary(o);
            o[0] = -b / 2;
            o[1] = b / 2;
          } else {
            for (size_t j = 0; j < k; ++j) o[j] /= static_cast<double>(k - 1);
          }
          SoftmaxInPlace(o, k);
        }
        if (method == PredictMethod::kPredictLogProba) {
          for (double& v : d) v = std::log(v);
        }
        return Tensor::FromDoubles(std::move(d), {rows, static_cast<int64_t>(k)});
      }
      case PredictMethod::kContributions:
        break;  // not in methods(); the model refuses it before this
    }
    return UnimplementedError("unknown method");
  }
  std::vector<PredictMethod> methods() const override {
    return {PredictMethod::kPredict, PredictMethod::kPredictProba, PredictMethod::kPredictLogProba,
            PredictMethod::kDecisionFunction};
  }
  const Labels* labels() const override { return &labels_; }
  protocol::DataType output_datatype() const override { return labels_.datatype(); }
  int64_t n_features_in() const override { return members_.front()->n_features_in(); }
  bool accepts_strings() const override { return members_.front()->accepts_strings(); }
  std::string name() const override { return "AdaBoostClassifier"; }

  std::vector<PredictorPtr> members_;
  std::vector<double> weights_;  // estimator_weights_, one per member
  double weight_sum_ = 0.0;      // estimator_weights_.sum() over all n_estimators
  Labels labels_;
  bool real_ = true;  // SAMME.R

 private:
  // pred[:, 0] *= -1; pred.sum(axis=1)
  static double Binary(const double* d) { return -d[0] + d[1]; }

  // rows x k, divided by weight_sum_.
  Status Decision(const Frame& x, std::vector<double>* d) const {
    const size_t k = labels_.size();
    const double kd = static_cast<double>(k);
    std::vector<double> lp(k);
    for (size_t e = 0; e < members_.size(); ++e) {
      if (real_) {
        ASSIGN_OR_RETURN(Tensor t, members_[e]->Predict(x, PredictMethod::kPredictProba));
        if (t.num_elements() != static_cast<int64_t>(x.rows * k)) {
          return InternalError("AdaBoostClassifier: member returned a bad shape");
        }
        for (size_t r = 0; r < x.rows; ++r) {
          double sum = 0.0;
          for (size_t j = 0; j < k; ++j) {
            lp[j] = std::log(std::max(t.AsDouble(static_cast<int64_t>(r * k + j)), DBL_EPSILON));
            sum += lp[j];
          }
          for (size_t j = 0; j < k; ++j) {
            (*d)[r * k + j] += (kd - 1) * (lp[j] - (1.0 / kd) * sum);
          }
        }
      } else {
        ASSIGN_OR_RETURN(Tensor t, members_[e]->Predict(x, PredictMethod::kPredict));
        if (t.num_elements() != static_cast<int64_t>(x.rows)) {
          return InternalError("AdaBoostClassifier: member returned a bad shape");
        }
        for (size_t r = 0; r < x.rows; ++r) {
          for (size_t j = 0; j < k; ++j) {
            if (SameLabel(t, r, j)) (*d)[r * k + j] += weights_[e];
          }
        }
      }
    }
    for (double& v : *d) v /= weight_sum_;
    return OkStatus();
  }

  // Member prediction r equals classes_[j].
  bool SameLabel(const Tensor& t, size_t r, size_t j) const {
    if (labels_.type() == Labels::Type::kString) {
      return t.datatype == protocol::DataType::kBytes && t.bytes[r] == labels_.text()[j];
    }
    return t.datatype != protocol::DataType::kBytes &&
           t.AsDouble(static_cast<int64_t>(r)) == labels_.numbers()[j];
  }
};

class AdaBoostRegressor : public Predictor {
 public:
  std::string name() const override { return "AdaBoostRegressor"; }
  std::vector<PredictMethod> methods() const override { return {PredictMethod::kPredict}; }
  bool accepts_strings() const override { return members_.front()->accepts_strings(); }
  StatusOr<Tensor> Predict(const Frame& x, PredictMethod method) const override {
    if (method != PredictMethod::kPredict) {
      return UnimplementedError("AdaBoostRegressor is a regressor and only supports predict");
    }
    const size_t n = members_.size();
    std::vector<double> preds(x.rows * n);  // rows x members
    for (size_t e = 0; e < n; ++e) {
      ASSIGN_OR_RETURN(Tensor t, members_[e]->Predict(x, PredictMethod::kPredict));
      if (t.num_elements() != static_cast<int64_t>(x.rows)) {
        return InternalError("AdaBoostRegressor: member returned a bad shape");
      }
      for (size_t r = 0; r < x.rows; ++r) preds[r * n + e] = t.AsDouble(static_cast<int64_t>(r));
    }
    // _get_median_predict: the prediction where the weight CDF (in prediction
    // order) first reaches half of the total.
    std::vector<double> out(x.rows);
    std::vector<size_t> order(n);
    for (size_t r = 0; r < x.rows; ++r) {
      const double* p = &preds[r * n];
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
      std::vector<double> cdf(n);
      double acc = 0.0;
      for (size_t i = 0; i < n; ++i) cdf[i] = (acc += weights_[order[i]]);
      size_t m = 0;
      while (m + 1 < n && !(cdf[m] >= 0.5 * cdf[n - 1])) ++m;
      out[r] = p[order[m]];
    }
    return Tensor::FromDoubles(std::move(out), {static_cast<int64_t>(x.rows)});
  }
  int64_t n_features_in() const override { return members_.front()->n_features_in(); }

  std::vector<PredictorPtr> members_;
  std::vector<double> weights_;
};

StatusOr<std::vector<PredictorPtr>> Members(const Attrs& a, BuildContext& ctx,
                                            std::vector<double>* weights, double* weight_sum) {
  ASSIGN_OR_RETURN(const Value* ests, a.Require("estimators_"));
  if (!ests->is_sequence() || ests->items.empty()) {
    return a.Error("estimators_", "is not a non-empty list of fitted estimators");
  }
  ASSIGN_OR_RETURN(Array w, a.Numbers("estimator_weights_"));
  if (w.v.size() < ests->items.size()) {
    return a.Error("estimator_weights_", "has fewer weights than estimators_");
  }
  std::vector<PredictorPtr> out;
  for (const Value* e : ests->items) {
    ASSIGN_OR_RETURN(PredictorPtr p, BuildPredictor(*e, ctx));
    out.push_back(std::move(p));
  }
  *weight_sum = 0.0;
  for (double v : w.v) *weight_sum += v;
  w.v.resize(ests->items.size());
  *weights = std::move(w.v);
  return out;
}

}  // namespace

StatusOr<PredictorPtr> MakeAdaBoost(const Attrs& a, BuildContext& ctx) {
  if (a.cls() == "AdaBoostRegressor") {
    auto m = std::make_unique<AdaBoostRegressor>();
    double unused = 0.0;
    ASSIGN_OR_RETURN(m->members_, Members(a, ctx, &m->weights_, &unused));
    return PredictorPtr(std::move(m));
  }
  auto m = std::make_unique<AdaBoostClassifier>();
  ASSIGN_OR_RETURN(m->members_, Members(a, ctx, &m->weights_, &m->weight_sum_));
  ASSIGN_OR_RETURN(m->labels_, Labels::FromValue(a.Get("classes_"), a.cls()));
  const std::string algo = a.StrOr("algorithm", "SAMME.R");
  if (algo != "SAMME" && algo != "SAMME.R") {
    return a.Error("algorithm", "is '" + algo + "', expected SAMME or SAMME.R");
  }
  m->real_ = algo == "SAMME.R";
  if (!(m->weight_sum_ > 0)) {
    return a.Error("estimator_weights_", "do not sum to a positive number");
  }
  for (const auto& p : m->members_) {
    const Labels* l = p->labels();
    if (l == nullptr || l->size() != m->labels_.size() || l->type() != m->labels_.type()) {
      return a.Error("estimators_", "member " + p->name() + " is not a classifier over the " +
                                        std::to_string(m->labels_.size()) + " classes");
    }
  }
  return PredictorPtr(std::move(m));
}

}  // namespace ferry::sklearn
