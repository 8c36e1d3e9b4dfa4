// PredictorSpec: the parts of an InferenceService (serving.kserve.io/v1beta1)
// that Ferry's controller acts on, parsed once from the stored JSON into
// typed fields. Accepts the `model:` form and the legacy framework fields
// (sklearn:, xgboost:, ...). Every value the controller would otherwise have
// to guess about is checked here, so a bad one becomes an InvalidArgument
// that names the field, the value and the fix — and the controller puts that
// message in the InferenceService's status (reason InvalidPredictorSpec).
// Pure functions; thread-safe.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "common/status.h"
#include "runtime/batching_model.h"

namespace ferry::controller {

struct PredictorSpec {
  std::string model_format;  // "mlflow", "sklearn", "xgboost", ...
  std::string storage_uri;
  std::string storage_uri_field = "spec.predictor.model.storageUri";  // where it was read
  std::string runtime;          // explicit ServingRuntime name, may be empty
  std::string protocol = "v1";  // v1 | v2 | grpc-v1 | grpc-v2
  std::string service_account = "default";
  std::string storage_secret;       // annotation serving.kserve.io/storageSecretName
  int canary_traffic_percent = -1;  // -1 = not set
  int min_replicas = 1;
  // spec.predictor.timeout (KServe; Knative's timeoutSeconds): seconds one
  // request may take before it is answered 504. Knative's default is 300.
  int64_t timeout_seconds = 300;
  // autoscaling.knative.dev/scale-to-zero-pod-retention-period ("30s", "1m30s",
  // "500ms"); -1 = not set (the controller's default grace period applies).
  int64_t scale_to_zero_ms = -1;
  // spec.predictor.containerConcurrency (Knative's): at most this many
  // requests in the model at once, 10x more waiting; 0 = no limit.
  int container_concurrency = 0;
  // spec.predictor.batcher (KServe's dynamic batching); nullopt = off.
  std::optional<runtime::BatchingOptions> batcher;
  // Identity of a revision: the predictor spec without the fields that only
  // move traffic or scale (canaryTrafficPercent, min/maxReplicas, scale*).
  std::string revision_hash;
};

// "1m30s", "45s", "500ms", "2h" → milliseconds; -1 when unreadable.
int64_t ParseDurationMs(const std::string& text);

StatusOr<PredictorSpec> ParsePredictorSpec(const nlohmann::json& isvc);

}  // namespace ferry::controller
