#include "runtime/model.h"

#include <array>
#include <utility>

namespace ferry::runtime {
namespace {
constexpr std::array<std::pair<PredictMethod, std::string_view>, 4> kMethods = {{
    {PredictMethod::kPredict, "predict"},
    {PredictMethod::kPredictProba, "predict_proba"},
    {PredictMethod::kPredictLogProba, "predict_log_proba"},
    {PredictMethod::kDecisionFunction, "decision_function"},
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

}  // namespace ferry::runtime
