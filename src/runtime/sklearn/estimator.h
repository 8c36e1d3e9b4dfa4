// Estimator interfaces of the native scikit-learn runtime.
//
// A loaded model is a tree of these objects, built once from the pickle
// ValueTree by registry.h and immutable afterwards, so every method is const
// and safe to call from many threads at once. Transformers map a Frame to a
// new Frame (numeric, or with string columns for imputers on categorical
// data); Predictors produce the output Tensor for one PredictMethod.
// Classifier and Regressor hold the shared output logic; concrete estimators
// only fill score matrices on a numeric row-major input.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/status.h"
#include "protocol/frame.h"
#include "protocol/tensor.h"
#include "runtime/model.h"
#include "runtime/sklearn/labels.h"

namespace ferry::sklearn {

using protocol::Frame;
using protocol::Tensor;
using runtime::PredictMethod;

class Transformer {
 public:
  virtual ~Transformer() = default;
  // `in` has n_features_in() columns (when known); `out` is overwritten.
  virtual Status Transform(const Frame& in, Frame* out) const = 0;
  // inverse_transform, for the transformers a TransformedTargetRegressor may hold.
  virtual Status InverseTransform(const Frame& in, Frame* out) const {
    return UnimplementedError(name() + " has no inverse_transform that Ferry supports");
  }
  virtual int64_t n_features_in() const { return -1; }
  // True when this step reads string columns (encoders, imputers on objects).
  virtual bool accepts_strings() const { return false; }
  virtual std::string name() const = 0;
};

class Predictor {
 public:
  virtual ~Predictor() = default;
  virtual StatusOr<Tensor> Predict(const Frame& x, PredictMethod method) const = 0;
  virtual std::vector<PredictMethod> methods() const = 0;
  virtual const Labels* labels() const { return nullptr; }
  virtual protocol::DataType output_datatype() const { return protocol::DataType::kFp64; }
  virtual int64_t n_features_in() const { return -1; }
  virtual bool accepts_strings() const { return false; }
  virtual std::string name() const = 0;
  // Why this estimator cannot explain (methods() lacks kContributions) when
  // the reason is specific to the fitted model; empty otherwise.
  virtual std::string contributions_refusal() const { return ""; }
};

// Predict's kContributions result: out is rows x outputs x (features + 1)
// (bias last); [rows, features + 1] when there is one output.
Tensor ContributionsTensor(std::vector<double> out, size_t rows, size_t outputs, size_t features);

// Whether x has `n_features` columns (-1: any), no string columns and all its numeric cells.
bool IsNumericInput(const Frame& x, int64_t n_features);
// Why x is not (IsNumericInput false), naming the estimator `who`.
Status NumericInputError(const Frame& x, int64_t n_features, std::string_view who);

// Returns a pointer to x's numeric cells after checking it has `n_features`
// columns (-1: any) and no string columns. `who` names the estimator in errors;
// as a callable it is only called for an error (name() builds a string).
template <typename Who>
  requires std::is_invocable_r_v<std::string, const Who&>
StatusOr<const double*> NumericInput(const Frame& x, int64_t n_features, const Who& who) {
  if (IsNumericInput(x, n_features)) return x.numeric.data();
  return NumericInputError(x, n_features, who());
}
inline StatusOr<const double*> NumericInput(const Frame& x, int64_t n_features,
                                            std::string_view who) {
  if (IsNumericInput(x, n_features)) return x.numeric.data();
  return NumericInputError(x, n_features, who);
}

// Shared classifier logic: predict = classes_[argmax], plus proba/log-proba
// and decision_function when the subclass provides them.
class Classifier : public Predictor {
 public:
  StatusOr<Tensor> Predict(const Frame& x, PredictMethod method) const override;
  std::vector<PredictMethod> methods() const override;
  const Labels* labels() const override { return &labels_; }
  protocol::DataType output_datatype() const override { return labels_.datatype(); }
  int64_t n_features_in() const override { return n_features_; }

  // Raw outputs that Contributions explains (decision_function's columns, or
  // predict_proba's for averaged trees); 0 when the estimator cannot explain.
  virtual size_t contribution_outputs() const { return 0; }
  // rows x contribution_outputs() x (n_features_ + 1) exact contributions,
  // bias last (docs/explanations.md). Only called when contribution_outputs() > 0.
  virtual Status Contributions(const double* x, size_t rows, double* out) const;

 protected:
  // rows x n_classes probabilities. Only called when has_proba_.
  virtual Status Proba(const double* x, size_t rows, double* out) const;
  // rows x n_classes log-probabilities; default log(Proba).
  virtual Status LogProba(const double* x, size_t rows, double* out) const;
  // rows x decision_width() values. Only called when has_decision_.
  virtual Status Decision(const double* x, size_t rows, double* out) const;
  // 1 for binary problems whose decision_function is 1-D.
  virtual size_t decision_width() const { return labels_.size() == 2 ? 1 : labels_.size(); }
  // Class index per row; default: argmax of Decision (threshold 0 when 1-D), else of Proba.
  virtual Status PredictIndex(const double* x, size_t rows, int32_t* out) const;

 public:
  // Fitted state, set once by the builder before the model is shared.
  Labels labels_;
  int64_t n_features_ = -1;
  bool has_proba_ = false;
  bool has_log_proba_ = true;  // with has_proba_; sklearn lacks it for e.g. HistGB, KNN
  bool has_decision_ = false;
};

// Shared regressor logic: predict only, [rows] or [rows, n_outputs]; and
// contributions when the subclass provides them.
class Regressor : public Predictor {
 public:
  StatusOr<Tensor> Predict(const Frame& x, PredictMethod method) const override;
  std::vector<PredictMethod> methods() const override;
  int64_t n_features_in() const override { return n_features_; }

  // As Classifier's: the raw outputs explained (n_outputs_ for the
  // regressors that can), and rows x outputs x (n_features_ + 1) values.
  virtual size_t contribution_outputs() const { return 0; }
  virtual Status Contributions(const double* x, size_t rows, double* out) const;

 protected:
  virtual Status Values(const double* x, size_t rows, double* out) const = 0;

 public:
  // Fitted state, set once by the builder before the model is shared.
  int64_t n_features_ = -1;
  size_t n_outputs_ = 1;
  bool output_2d_ = false;  // y was 2-D at fit time
};

// True when p offers method m (sklearn's hasattr(estimator, method)).
inline bool HasMethod(const Predictor& p, PredictMethod m) {
  for (PredictMethod x : p.methods()) {
    if (x == m) return true;
  }
  return false;
}

// Index of the largest value in v[0..n), first maximum wins (numpy argmax).
inline int32_t ArgMax(const double* v, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i) {
    if (v[i] > v[best]) {
      best = i;
    }
  }
  return static_cast<int32_t>(best);
}

}  // namespace ferry::sklearn
