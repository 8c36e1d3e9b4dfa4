#include "controller/isvc_spec.h"

#include <cctype>
#include <functional>

#include <nlohmann/json.hpp>

namespace ferry::controller {
namespace {

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

StatusOr<PredictorSpec> ParsePredictorSpec(const nlohmann::json& isvc) {
  const nlohmann::json* predictor = nullptr;
  if (isvc.contains("spec") && isvc["spec"].contains("predictor")) {
    predictor = &isvc["spec"]["predictor"];
  }
  if (predictor == nullptr || !predictor->is_object()) {
    return InvalidArgumentError("spec.predictor is required");
  }
  PredictorSpec spec;
  const nlohmann::json* model = nullptr;
  if (predictor->contains("model") && (*predictor)["model"].is_object()) {
    model = &(*predictor)["model"];
    if (model->contains("modelFormat") && (*model)["modelFormat"].is_object()) {
      spec.model_format = Str((*model)["modelFormat"], "name");
    }
  } else {
    for (const char* fw : {"sklearn", "xgboost", "mlflow", "lightgbm", "tensorflow", "pytorch",
                           "onnx", "triton", "huggingface", "pmml", "paddle"}) {
      if (predictor->contains(fw) && (*predictor)[fw].is_object()) {
        model = &(*predictor)[fw];
        spec.model_format = fw;
        spec.storage_uri_field = "spec.predictor." + spec.model_format + ".storageUri";
        break;
      }
    }
  }
  if (model == nullptr) {
    return InvalidArgumentError("spec.predictor.model is required (or a framework field such as "
                                "spec.predictor.sklearn)");
  }
  spec.storage_uri = Str(*model, "storageUri");
  spec.runtime = Str(*model, "runtime");
  std::string protocol = Str(*model, "protocolVersion");
  if (!protocol.empty()) spec.protocol = protocol;
  std::string sa = Str(*predictor, "serviceAccountName");
  if (!sa.empty()) spec.service_account = sa;
  if (predictor->contains("canaryTrafficPercent") &&
      (*predictor)["canaryTrafficPercent"].is_number_integer()) {
    spec.canary_traffic_percent = (*predictor)["canaryTrafficPercent"].get<int>();
  }
  if (predictor->contains("minReplicas") && (*predictor)["minReplicas"].is_number_integer()) {
    spec.min_replicas = (*predictor)["minReplicas"].get<int>();
  }
  if (auto t = predictor->find("timeout"); t != predictor->end() && !t->is_null()) {
    if (!t->is_number_integer() || t->get<int64_t>() < 1 || t->get<int64_t>() > 86400 * 365) {
      return InvalidArgumentError("spec.predictor.timeout is " + t->dump() +
                                  "; it must be a whole number of seconds, at least 1 (Knative's "
                                  "default is 300)");
    }
    spec.timeout_seconds = t->get<int64_t>();
  }
  if (isvc.contains("metadata") && isvc["metadata"].contains("annotations") &&
      isvc["metadata"]["annotations"].is_object()) {
    spec.storage_secret = Str(isvc["metadata"]["annotations"], "serving.kserve.io/storageSecretName");
  }
  if (isvc.contains("metadata") && isvc["metadata"].contains("annotations") &&
      isvc["metadata"]["annotations"].is_object()) {
    std::string retention = Str(isvc["metadata"]["annotations"],
                                "autoscaling.knative.dev/scale-to-zero-pod-retention-period");
    if (!retention.empty()) spec.scale_to_zero_ms = ParseDurationMs(retention);
  }
  nlohmann::json identity = *predictor;
  for (const char* k : {"canaryTrafficPercent", "minReplicas", "maxReplicas", "scaleTarget",
                        "scaleMetric", "scaleMetricType"}) {
    identity.erase(k);
  }
  spec.revision_hash = std::to_string(std::hash<std::string>()(identity.dump()));
  if (spec.storage_uri.empty()) {
    return InvalidArgumentError("spec.predictor.model.storageUri is required: where to fetch the "
                                "model from (s3://bucket/path, https://..., file://..., pvc://...)");
  }
  return spec;
}

int64_t ParseDurationMs(const std::string& text) {
  // Go's time.ParseDuration subset Knative annotations use.
  int64_t total = 0;
  size_t i = 0;
  if (text.empty()) return -1;
  while (i < text.size()) {
    size_t start = i;
    double value = 0;
    auto numeric = [&](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; };
    while (i < text.size() && numeric(text[i])) ++i;
    if (i == start) return -1;
    try {
      value = std::stod(text.substr(start, i - start));
    } catch (...) {
      return -1;
    }
    std::string unit;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) unit += text[i++];
    double ms = unit == "ms" ? 1
                : unit == "s"  ? 1000
                : unit == "m"  ? 60000
                : unit == "h"  ? 3600000
                               : -1;
    if (ms < 0) return -1;
    total += static_cast<int64_t>(value * ms);
  }
  return total;
}

}  // namespace ferry::controller
