#include "controller/isvc_spec.h"

#include <cctype>
#include <functional>
#include <nlohmann/json.hpp>

#include "api/isvc_fields.h"

namespace ferry::controller {
namespace {

using nlohmann::json;

constexpr char kRetentionAnnotation[] =
    "autoscaling.knative.dev/scale-to-zero-pod-retention-period";

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// spec.predictor.model, or the legacy framework field; sets the format and
// where the storageUri is read. Null when there is neither.
const json* ModelSection(const json& predictor, PredictorSpec* spec) {
  auto model = predictor.find("model");
  if (model != predictor.end() && model->is_object()) {
    auto format = model->find("modelFormat");
    if (format != model->end() && format->is_object()) spec->model_format = Str(*format, "name");
    return &*model;
  }
  for (const char* fw : {"sklearn", "xgboost", "mlflow", "lightgbm", "tensorflow", "pytorch",
                         "onnx", "triton", "huggingface", "pmml", "paddle"}) {
    auto it = predictor.find(fw);
    if (it != predictor.end() && it->is_object()) {
      spec->model_format = fw;
      spec->storage_uri_field = std::string("spec.predictor.") + fw + ".storageUri";
      return &*it;
    }
  }
  return nullptr;
}

Status ParseScaleAndTimeout(const json& predictor, PredictorSpec* spec) {
  auto canary = predictor.find("canaryTrafficPercent");
  if (canary != predictor.end() && canary->is_number_integer()) {
    spec->canary_traffic_percent = canary->get<int>();
  }
  auto cc = predictor.find("containerConcurrency");
  if (cc != predictor.end() && !cc->is_null()) {
    if (!cc->is_number_integer() || cc->get<int64_t>() < 0 || cc->get<int64_t>() > 1000) {
      return InvalidArgumentError("spec.predictor.containerConcurrency is " + cc->dump() +
                                  "; it must be a whole number from 0 (no limit) to 1000");
    }
    spec->container_concurrency = cc->get<int>();
  }
  auto min = predictor.find("minReplicas");
  if (min != predictor.end() && min->is_number_integer()) spec->min_replicas = min->get<int>();
  if (auto t = predictor.find("timeout"); t != predictor.end() && !t->is_null()) {
    if (!t->is_number_integer() || t->get<int64_t>() < 1 || t->get<int64_t>() > 86400 * 365) {
      return InvalidArgumentError("spec.predictor.timeout is " + t->dump() +
                                  "; it must be a whole number of seconds, at least 1 (Knative's "
                                  "default is 300)");
    }
    spec->timeout_seconds = t->get<int64_t>();
  }
  return OkStatus();
}

Status ParseAnnotations(const json& isvc, PredictorSpec* spec) {
  if (!isvc.contains("metadata") || !isvc["metadata"].contains("annotations") ||
      !isvc["metadata"]["annotations"].is_object()) {
    return OkStatus();
  }
  const json& annotations = isvc["metadata"]["annotations"];
  spec->storage_secret = Str(annotations, "serving.kserve.io/storageSecretName");
  std::string retention = Str(annotations, kRetentionAnnotation);
  if (retention.empty()) return OkStatus();
  spec->scale_to_zero_ms = ParseDurationMs(retention);
  if (spec->scale_to_zero_ms < 0) {
    return InvalidArgumentError(std::string("metadata.annotations[") + kRetentionAnnotation +
                                "] is \"" + retention +
                                "\"; use a duration such as 30s, 1m30s or 500ms, or remove it "
                                "for the default grace period");
  }
  return OkStatus();
}

std::string RevisionHash(const json& predictor) {
  json identity = predictor;
  for (const char* k : {"canaryTrafficPercent", "minReplicas", "maxReplicas", "scaleTarget",
                        "scaleMetric", "scaleMetricType"}) {
    identity.erase(k);
  }
  return std::to_string(std::hash<std::string>()(identity.dump()));
}

}  // namespace

StatusOr<PredictorSpec> ParsePredictorSpec(const json& isvc) {
  const json* predictor = nullptr;
  if (isvc.contains("spec") && isvc["spec"].contains("predictor")) {
    predictor = &isvc["spec"]["predictor"];
  }
  if (predictor == nullptr || !predictor->is_object()) {
    return InvalidArgumentError("spec.predictor is required");
  }
  // Stored before a refusal existed (admission refuses these now): not half-applied.
  std::string refused = api::FirstRefusal(api::ClassifyInferenceServiceFields(isvc));
  if (!refused.empty()) return InvalidArgumentError(refused);
  PredictorSpec spec;
  const json* model = ModelSection(*predictor, &spec);
  if (model == nullptr) {
    return InvalidArgumentError(
        "spec.predictor.model is required (or a framework field such as "
        "spec.predictor.sklearn)");
  }
  spec.storage_uri = Str(*model, "storageUri");
  spec.runtime = Str(*model, "runtime");
  std::string protocol = Str(*model, "protocolVersion");
  if (!protocol.empty()) spec.protocol = protocol;
  std::string sa = Str(*predictor, "serviceAccountName");
  if (sa.empty()) sa = Str(*predictor, "serviceAccount");  // the deprecated spelling
  if (!sa.empty()) spec.service_account = sa;
  RETURN_IF_ERROR(ParseScaleAndTimeout(*predictor, &spec));
  ASSIGN_OR_RETURN(spec.batcher, runtime::BatchingFromInferenceService(isvc));
  RETURN_IF_ERROR(ParseAnnotations(isvc, &spec));
  spec.revision_hash = RevisionHash(*predictor);
  if (spec.storage_uri.empty()) {
    return InvalidArgumentError(
        "spec.predictor.model.storageUri is required: where to fetch the "
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
    double ms = unit == "ms"  ? 1
                : unit == "s" ? 1000
                : unit == "m" ? 60000
                : unit == "h" ? 3600000
                              : -1;
    if (ms < 0) return -1;
    total += static_cast<int64_t>(value * ms);
  }
  return total;
}

}  // namespace ferry::controller
