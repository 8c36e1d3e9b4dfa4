// StackingClassifier and StackingRegressor over any supported estimators.
// transform builds sklearn's X_meta: each member's stack_method_ output as
// columns (a 1-D output is one column; binary predict_proba keeps only its
// second column), then X itself when passthrough. The final estimator
// predicts on X_meta; the classifier's members and final estimator were
// fitted on class indices, mapped back through classes_.
#include "runtime/sklearn/frame_ops.h"
#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

using pickle::Value;

class Stacking : public Predictor {
 public:
  struct Member {
    PredictorPtr est;
    PredictMethod method = PredictMethod::kPredict;
  };

  StatusOr<Tensor> Predict(const Frame& x, PredictMethod method) const override {
    Frame meta;
    RETURN_IF_ERROR(Meta(x, &meta));
    if (regressor_ || method != PredictMethod::kPredict) {
      if (!regressor_ && method == PredictMethod::kPredictLogProba) {
        return UnimplementedError(name_ + " has no predict_log_proba");
      }
      return final_->Predict(meta, method);
    }
    ASSIGN_OR_RETURN(Tensor t, final_->Predict(meta, PredictMethod::kPredict));
    if (t.num_elements() != static_cast<int64_t>(x.rows)) {
      return InternalError(name_ + ": the final estimator returned a bad shape");
    }
    std::vector<int32_t> idx(x.rows);
    for (size_t r = 0; r < x.rows; ++r) {
      const double v =
          t.datatype == protocol::DataType::kBytes ? -1 : t.AsDouble(static_cast<int64_t>(r));
      if (!(v >= 0 && v < static_cast<double>(labels_.size()))) {
        return InternalError(name_ + ": the final estimator predicted a class outside classes_");
      }
      idx[r] = static_cast<int32_t>(v);
    }
    return labels_.Make(idx.data(), x.rows);
  }
  std::vector<PredictMethod> methods() const override {
    std::vector<PredictMethod> m;
    for (PredictMethod f : final_->methods()) {
      // The final estimator's contributions would explain the stacked
      // members' outputs, not the input features: not offered.
      if (f == PredictMethod::kContributions) continue;
      if (f != PredictMethod::kPredictLogProba || regressor_) m.push_back(f);
    }
    return m;
  }
  const Labels* labels() const override { return regressor_ ? nullptr : &labels_; }
  protocol::DataType output_datatype() const override {
    return regressor_ ? final_->output_datatype() : labels_.datatype();
  }
  int64_t n_features_in() const override { return n_; }
  bool accepts_strings() const override { return members_.front().est->accepts_strings(); }
  std::string name() const override { return name_; }

  std::vector<Member> members_;
  PredictorPtr final_;
  Labels labels_;
  bool passthrough_ = false;
  bool regressor_ = false;
  int64_t n_ = -1;
  std::string name_;

 private:
  Status Meta(const Frame& x, Frame* meta) const {
    if (n_ >= 0 && static_cast<int64_t>(x.cols) != n_) {
      return InvalidArgumentError(name_ + " expects " + std::to_string(n_) +
                                  " features per row but the input has " + std::to_string(x.cols));
    }
    std::vector<Frame> parts;
    for (const Member& m : members_) {
      ASSIGN_OR_RETURN(Tensor t, m.est->Predict(x, m.method));
      if (t.datatype == protocol::DataType::kBytes || x.rows == 0 ||
          t.num_elements() % static_cast<int64_t>(x.rows) != 0) {
        if (x.rows == 0) continue;
        return InternalError(name_ + ": member " + m.est->name() + " returned no numbers");
      }
      const auto width = static_cast<size_t>(t.num_elements()) / x.rows;
      const bool drop_first = m.method == PredictMethod::kPredictProba && labels_.size() == 2 &&
                              !regressor_ && width == 2;
      Frame f = Frame::Numeric(x.rows, drop_first ? 1 : width);
      for (size_t r = 0; r < x.rows; ++r) {
        for (size_t c = drop_first ? 1 : 0; c < width; ++c) {
          f.numeric[r * f.cols + (drop_first ? c - 1 : c)] =
              t.AsDouble(static_cast<int64_t>(r * width + c));
        }
      }
      parts.push_back(std::move(f));
    }
    if (passthrough_) parts.push_back(x);
    HStack(parts, x.rows, meta);
    return OkStatus();
  }
};

StatusOr<PredictMethod> MethodNamed(const Attrs& a, const Value* v) {
  if (v == nullptr || !v->is_str()) return a.Error("stack_method_", "holds a non-string");
  if (v->str == "predict") return PredictMethod::kPredict;
  if (v->str == "predict_proba") return PredictMethod::kPredictProba;
  if (v->str == "decision_function") return PredictMethod::kDecisionFunction;
  return a.Error("stack_method_", "holds '" + v->str + "', which Ferry does not support");
}

}  // namespace

StatusOr<PredictorPtr> MakeStacking(const Attrs& a, BuildContext& ctx) {
  auto s = std::make_unique<Stacking>();
  s->name_ = a.cls();
  s->regressor_ = a.cls() == "StackingRegressor";
  ASSIGN_OR_RETURN(const Value* ests, a.Require("estimators_"));
  ASSIGN_OR_RETURN(const Value* methods, a.Require("stack_method_"));
  if (!ests->is_sequence() || !methods->is_sequence() || ests->items.empty() ||
      ests->items.size() != methods->items.size()) {
    return a.Error("estimators_", "and stack_method_ are not two lists of equal length");
  }
  for (size_t i = 0; i < ests->items.size(); ++i) {
    Stacking::Member m;
    ASSIGN_OR_RETURN(m.est, BuildPredictor(*ests->items[i], ctx));
    ASSIGN_OR_RETURN(m.method, MethodNamed(a, methods->items[i]));
    s->members_.push_back(std::move(m));
  }
  ASSIGN_OR_RETURN(const Value* fin, a.Require("final_estimator_"));
  ASSIGN_OR_RETURN(s->final_, BuildPredictor(*fin, ctx));
  s->passthrough_ = a.BoolOr("passthrough", false);
  if (a.Has("n_features_in_")) {
    ASSIGN_OR_RETURN(s->n_, a.Int("n_features_in_"));
  } else {
    s->n_ = s->members_.front().est->n_features_in();
  }
  if (!s->regressor_) {
    const Value* classes = a.Get("classes_");
    if (classes == nullptr || !classes->array) {
      return a.Error("classes_",
                     "is missing or not an array (multilabel stacking is not supported)");
    }
    ASSIGN_OR_RETURN(s->labels_, Labels::FromValue(classes, a.cls()));
  }
  return PredictorPtr(std::move(s));
}

}  // namespace ferry::sklearn
