// InferenceService admission: KServe webhook defaults and validation.
#include "api/isvc_fields.h"
#include "api/kinds.h"

namespace ferry::api {
namespace {

using nlohmann::json;

constexpr const char* kProtocols[] = {"v1", "v2", "grpc-v1", "grpc-v2"};
// Knative's limit on containerConcurrency (config-defaults container-concurrency-max-limit).
constexpr int64_t kMaxContainerConcurrency = 1000;

}  // namespace

void DefaultInferenceService(json& obj) {
  json* model = nullptr;
  if (obj.contains("spec") && obj["spec"].is_object() && obj["spec"].contains("predictor") &&
      obj["spec"]["predictor"].is_object() && obj["spec"]["predictor"].contains("model") &&
      obj["spec"]["predictor"]["model"].is_object()) {
    model = &obj["spec"]["predictor"]["model"];
  }
  if (model == nullptr || model->contains("protocolVersion")) return;
  // KServe defaults v1 except where the runtime speaks only V2 (MLServer for mlflow).
  std::string format = StringAt(*model, "modelFormat.name");
  (*model)["protocolVersion"] = format == "mlflow" ? "v2" : "v1";
}

std::vector<FieldError> ValidateInferenceService(const json& obj) {
  std::vector<FieldError> errs;
  // What Ferry cannot run is refused whole, before anything is stored.
  for (const FieldFinding& f : ClassifyInferenceServiceFields(obj).refused) {
    errs.push_back({f.path, "FieldValueForbidden", "Forbidden: " + f.rule->why});
  }
  const json& predictor = At(obj, "spec.predictor");
  if (!predictor.is_object()) {
    errs.push_back({"spec.predictor", "FieldValueRequired", "Required value"});
    return errs;
  }
  const json& concurrency = At(predictor, "containerConcurrency");
  if (!concurrency.is_null() &&
      (!concurrency.is_number_integer() || concurrency.get<int64_t>() < 0 ||
       concurrency.get<int64_t>() > kMaxContainerConcurrency)) {
    errs.push_back({"spec.predictor.containerConcurrency", "FieldValueInvalid",
                    "Invalid value: " + concurrency.dump() + ": must be between 0 and " +
                        std::to_string(kMaxContainerConcurrency) +
                        ", inclusive (0: no limit; N: at most N requests in the model at once, "
                        "10 x N more wait, the rest are answered 503)"});
  }
  const json& model = At(predictor, "model");
  if (model.is_null()) return errs;
  if (!model.is_object()) {
    errs.push_back({"spec.predictor.model", "FieldValueInvalid",
                    "Invalid value: " + model.dump() + ": must be an object"});
    return errs;
  }
  if (StringAt(model, "modelFormat.name").empty()) {
    errs.push_back(
        {"spec.predictor.model.modelFormat.name", "FieldValueRequired", "Required value"});
  }
  if (StringAt(model, "storageUri").empty() && !model.contains("storageUris")) {
    errs.push_back({"spec.predictor.model.storageUri", "FieldValueRequired", "Required value"});
  }
  const json& proto = At(model, "protocolVersion");
  if (!proto.is_null()) {
    bool known = false;
    for (const char* p : kProtocols) known = known || (proto.is_string() && proto == p);
    if (!known) {
      errs.push_back({"spec.predictor.model.protocolVersion", "FieldValueNotSupported",
                      "Unsupported value: " + proto.dump() +
                          ": supported values: \"v1\", \"v2\", \"grpc-v1\", \"grpc-v2\""});
    }
  }
  return errs;
}

std::vector<std::string> InferenceServiceWarnings(const json& obj) {
  return NoEffectMessages(ClassifyInferenceServiceFields(obj));
}

}  // namespace ferry::api
