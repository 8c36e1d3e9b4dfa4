#include "runtime/model.h"

#include <array>
#include <string>
#include <utility>

namespace ferry::runtime {
namespace {
constexpr std::array<std::pair<PredictMethod, std::string_view>, 5> kMethods = {{
    {PredictMethod::kPredict, "predict"},
    {PredictMethod::kPredictProba, "predict_proba"},
    {PredictMethod::kPredictLogProba, "predict_log_proba"},
    {PredictMethod::kDecisionFunction, "decision_function"},
    {PredictMethod::kContributions, "contributions"},
}};
}  // namespace

std::string_view PredictMethodName(PredictMethod m) {
  for (const auto& [method, name] : kMethods) {
    if (method == m) return name;
  }
  return "predict";
}

StatusOr<std::vector<protocol::Tensor>> Model::PredictTensors(
    const std::vector<protocol::Tensor>& inputs, PredictMethod method) const {
  return UnimplementedError("this model (" + info().description +
                            ") predicts on a 2-D frame, not on named tensors");
}

std::optional<PredictMethod> ParsePredictMethod(std::string_view name) {
  for (const auto& [method, n] : kMethods) {
    if (n == name) return method;
  }
  return std::nullopt;
}

bool SupportsMethod(const ModelInfo& info, PredictMethod m) {
  for (PredictMethod x : info.methods) {
    if (x == m) return true;
  }
  return m == PredictMethod::kPredict;
}

Status ContributionsRefused(std::string_view model_name, const ModelInfo& info) {
  std::string why = info.contributions_refusal.empty()
                        ? "it is a " +
                              (info.description.empty() ? info.framework : info.description) +
                              ", which has no exact per-feature decomposition"
                        : info.contributions_refusal;
  return UnimplementedError(
      "model " + std::string(model_name) + " cannot explain its predictions: " + why +
      ". Ferry computes contributions for tree models (scikit-learn decision trees, random and "
      "extra forests, (Hist)GradientBoosting; XGBoost gbtree/dart/gblinear) and linear models "
      "(LogisticRegression, linear regressors, SGD, LinearSVC, Ridge...), also as the last step "
      "of a Pipeline; ask this model for predictions instead (see docs/explanations.md)");
}

}  // namespace ferry::runtime
