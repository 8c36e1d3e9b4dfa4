// TransformedTargetRegressor: the regressor predicts in the transformed target
// space; transformer_.inverse_transform maps the predictions back (a
// FunctionTransformer with a numpy ufunc, or a scaler). A 1-D target stays 1-D.
#include "runtime/sklearn/registry.h"

namespace ferry::sklearn {
namespace {

class TransformedTarget : public Predictor {
 public:
  StatusOr<Tensor> Predict(const Frame& x, PredictMethod method) const override {
    if (method != PredictMethod::kPredict) {
      return UnimplementedError(
          "TransformedTargetRegressor is a regressor and only supports predict");
    }
    ASSIGN_OR_RETURN(Tensor t, regressor_->Predict(x, PredictMethod::kPredict));
    if (t.datatype == protocol::DataType::kBytes || x.rows == 0 ||
        t.num_elements() % static_cast<int64_t>(x.rows) != 0) {
      return InternalError("TransformedTargetRegressor: the regressor returned no numbers");
    }
    const size_t width = static_cast<size_t>(t.num_elements()) / x.rows;
    Frame pred = Frame::Numeric(x.rows, width);
    for (size_t i = 0; i < pred.numeric.size(); ++i) {
      pred.numeric[i] = t.AsDouble(static_cast<int64_t>(i));
    }
    Frame back;
    RETURN_IF_ERROR(transformer_->InverseTransform(pred, &back));
    const auto rows = static_cast<int64_t>(x.rows);
    if (training_dim_ == 1 && back.cols == 1) {
      return Tensor::FromDoubles(std::move(back.numeric), {rows});
    }
    return Tensor::FromDoubles(std::move(back.numeric), {rows, static_cast<int64_t>(back.cols)});
  }
  std::vector<PredictMethod> methods() const override { return {PredictMethod::kPredict}; }
  int64_t n_features_in() const override { return regressor_->n_features_in(); }
  bool accepts_strings() const override { return regressor_->accepts_strings(); }
  std::string name() const override { return "TransformedTargetRegressor"; }

  PredictorPtr regressor_;
  TransformerPtr transformer_;
  int64_t training_dim_ = 1;
};

}  // namespace

StatusOr<PredictorPtr> MakeTransformedTarget(const Attrs& a, BuildContext& ctx) {
  auto m = std::make_unique<TransformedTarget>();
  ASSIGN_OR_RETURN(const pickle::Value* reg, a.Require("regressor_"));
  ASSIGN_OR_RETURN(m->regressor_, BuildPredictor(*reg, ctx));
  ASSIGN_OR_RETURN(const pickle::Value* tr, a.Require("transformer_"));
  ASSIGN_OR_RETURN(m->transformer_, BuildTransformer(*tr, ctx));
  ASSIGN_OR_RETURN(m->training_dim_, a.Int("_training_dim"));
  return PredictorPtr(std::move(m));
}

}  // namespace ferry::sklearn
