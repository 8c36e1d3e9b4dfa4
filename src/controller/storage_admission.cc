#include "controller/storage_admission.h"

#include <nlohmann/json.hpp>

#include "controller/isvc_spec.h"

namespace ferry::controller {

Status AdmitStorageUri(const nlohmann::json& isvc, const storage::LocalAccess& access) {
  StatusOr<PredictorSpec> spec = ParsePredictorSpec(isvc);
  if (!spec.ok() || !storage::IsLocalUri(spec->storage_uri)) return OkStatus();
  StatusOr<storage::LocalSource> source = storage::ResolveLocalUri(spec->storage_uri, access);
  if (source.ok()) return OkStatus();
  return InvalidArgumentError(spec->storage_uri_field + ": " + source.status().message());
}

}  // namespace ferry::controller
