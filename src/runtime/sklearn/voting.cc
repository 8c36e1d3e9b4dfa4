// VotingClassifier and VotingRegressor over any supported estimators.
// As sklearn: soft voting averages predict_proba (weighted), hard voting takes
// the weighted bincount of the members' predictions — which are class indices,
// since the members were fitted on le_-encoded targets — first maximum wins;
// the regressor averages predictions. Members marked "drop" are not fitted and
// take no weight.
#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

using pickle::Value;

class Voting : public Predictor {
 public:
  StatusOr<Tensor> Predict(const Frame& x, PredictMethod method) const override {
    const auto rows = static_cast<int64_t>(x.rows);
    if (regressor_) {
      if (method != PredictMethod::kPredict) {
        return UnimplementedError(name_ + " is a regressor and only supports predict");
      }
      std::vector<double> avg(x.rows, 0.0);
      RETURN_IF_ERROR(Accumulate(x, PredictMethod::kPredict, 1, &avg));
      return Tensor::FromDoubles(std::move(avg), {rows});
    }
    const size_t k = labels_.size();
    if (method == PredictMethod::kPredictProba && soft_) {
      std::vector<double> avg(x.rows * k, 0.0);
      RETURN_IF_ERROR(Accumulate(x, PredictMethod::kPredictProba, k, &avg));
      return Tensor::FromDoubles(std::move(avg), {rows, static_cast<int64_t>(k)});
    }
    if (method != PredictMethod::kPredict) {
      return UnimplementedError(name_ + " has no " + std::string(PredictMethodName(method)) +
                                (soft_ ? "" : " (predict_proba needs voting='soft')"));
    }
    std::vector<double> score(x.rows * k, 0.0);
    if (soft_) {
      RETURN_IF_ERROR(Accumulate(x, PredictMethod::kPredictProba, k, &score));
    } else {
      for (size_t e = 0; e < members_.size(); ++e) {
        ASSIGN_OR_RETURN(Tensor t, members_[e]->Predict(x, PredictMethod::kPredict));
        if (t.num_elements() != rows || t.datatype == protocol::DataType::kBytes) {
          return InternalError(name_ + ": member " + members_[e]->name() +
                               " did not predict one class index per row");
        }
        for (size_t r = 0; r < x.rows; ++r) {
          const double v = t.AsDouble(static_cast<int64_t>(r));
          if (!(v >= 0 && v < static_cast<double>(k))) {
            return InternalError(name_ + ": member " + members_[e]->name() +
                                 " predicted a class index outside classes_");
          }
          score[r * k + static_cast<size_t>(v)] += weights_.empty() ? 1.0 : weights_[e];
        }
      }
    }
    std::vector<int32_t> idx(x.rows);
    for (size_t r = 0; r < x.rows; ++r) idx[r] = ArgMax(&score[r * k], k);
    return labels_.Make(idx.data(), x.rows);
  }

  std::vector<PredictMethod> methods() const override {
    if (!regressor_ && soft_) return {PredictMethod::kPredict, PredictMethod::kPredictProba};
    return {PredictMethod::kPredict};
  }
  const Labels* labels() const override { return regressor_ ? nullptr : &labels_; }
  protocol::DataType output_datatype() const override {
    return regressor_ ? protocol::DataType::kFp64 : labels_.datatype();
  }
  int64_t n_features_in() const override { return members_.front()->n_features_in(); }
  bool accepts_strings() const override { return members_.front()->accepts_strings(); }
  std::string name() const override { return name_; }

  std::vector<PredictorPtr> members_;
  std::vector<double> weights_;  // empty: equal weights
  Labels labels_;
  bool soft_ = false;
  bool regressor_ = false;
  std::string name_;

 private:
  // out = np.average([member.method(x) for member], axis=0, weights=weights_);
  // each member output holds rows * width values.
  Status Accumulate(const Frame& x, PredictMethod method, size_t width,
                    std::vector<double>* out) const {
    double total = 0.0;
    for (size_t e = 0; e < members_.size(); ++e) {
      ASSIGN_OR_RETURN(Tensor t, members_[e]->Predict(x, method));
      if (t.num_elements() != static_cast<int64_t>(out->size()) ||
          t.datatype == protocol::DataType::kBytes) {
        return InternalError(name_ + ": member " + members_[e]->name() + " returned " +
                             std::to_string(t.num_elements()) + " values, expected " +
                             std::to_string(x.rows) + " x " + std::to_string(width));
      }
      const double w = weights_.empty() ? 1.0 : weights_[e];
      total += w;
      for (size_t i = 0; i < out->size(); ++i) {
        (*out)[i] += w * t.AsDouble(static_cast<int64_t>(i));
      }
    }
    for (double& v : *out) v /= total;
    return OkStatus();
  }
};

}  // namespace

StatusOr<PredictorPtr> MakeVoting(const Attrs& a, BuildContext& ctx) {
  auto m = std::make_unique<Voting>();
  m->name_ = a.cls();
  m->regressor_ = a.cls() == "VotingRegressor";
  ASSIGN_OR_RETURN(const Value* fitted, a.Require("estimators_"));
  if (!fitted->is_sequence() || fitted->items.empty()) {
    return a.Error("estimators_", "is not a non-empty list of fitted estimators");
  }
  for (const Value* e : fitted->items) {
    ASSIGN_OR_RETURN(PredictorPtr p, BuildPredictor(*e, ctx));
    m->members_.push_back(std::move(p));
  }
  // weights are given per entry of `estimators`; "drop" entries were not fitted.
  const Value* weights = a.Get("weights");
  if (weights != nullptr && !weights->is_none()) {
    ASSIGN_OR_RETURN(const Value* spec, a.Require("estimators"));
    ASSIGN_OR_RETURN(Array w, a.Numbers("weights"));
    if (!spec->is_sequence() || spec->items.size() != w.v.size()) {
      return a.Error("weights", "does not have one weight per entry of estimators");
    }
    for (size_t i = 0; i < w.v.size(); ++i) {
      const Value* pair = spec->items[i];
      const Value* est = pair != nullptr && pair->is_sequence() && pair->items.size() >= 2
                             ? pair->items[1]
                             : nullptr;
      if (!(est != nullptr && est->is_str() && est->str == "drop")) {
        m->weights_.push_back(w.v[i]);
      }
    }
    if (m->weights_.size() != m->members_.size()) {
      return a.Error("weights", "does not match the fitted estimators_");
    }
  }
  for (const auto& p : m->members_) {
    if (p->n_features_in() != m->members_.front()->n_features_in()) {
      return a.Error("estimators_", "disagree on the number of input features");
    }
  }
  if (m->regressor_) {
    return PredictorPtr(std::move(m));
  }
  ASSIGN_OR_RETURN(m->labels_, Labels::FromValue(a.Get("classes_"), a.cls()));
  const std::string voting = a.StrOr("voting", "hard");
  if (voting != "hard" && voting != "soft") {
    return a.Error("voting", "is '" + voting + "', expected 'hard' or 'soft'");
  }
  m->soft_ = voting == "soft";
  for (const auto& p : m->members_) {
    const Labels* l = p->labels();
    if (l == nullptr || l->size() != m->labels_.size()) {
      return a.Error("estimators_", "member " + p->name() + " is not a classifier over the " +
                                        std::to_string(m->labels_.size()) + " classes");
    }
  }
  return PredictorPtr(std::move(m));
}

}  // namespace ferry::sklearn
