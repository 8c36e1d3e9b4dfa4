// ApiError: a Kubernetes Status failure (code, reason, message, details) as the
// API server sends it, and the one place that words kube errors so that
// kubectl prints the familiar "Error from server (NotFound): ..." lines.
// Internal to ferry_api; in-process callers see ferry::Status (ToStatus()).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ferry::api {

struct KindInfo;

// One entry of details.causes ("spec.predictor: Required value").
struct FieldError {
  std::string field;
  std::string type;  // FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, ...
  std::string message;
};

struct ApiError {
  int code = 0;  // 0 = no error
  std::string reason;
  std::string message;
  nlohmann::json details = nlohmann::json::object();

  bool ok() const { return code == 0; }
  nlohmann::json ToStatusJson() const;
  Status ToStatus() const;
};

// "inferenceservices.serving.kserve.io" or "secrets" for core.
std::string QualifiedResource(const KindInfo& kind);

ApiError NotFound(const KindInfo& kind, std::string_view name);
ApiError AlreadyExists(const KindInfo& kind, std::string_view name);
ApiError Conflict(const KindInfo& kind, std::string_view name);
ApiError Invalid(const KindInfo& kind, std::string_view name, std::vector<FieldError> causes);
ApiError BadRequest(std::string message);
ApiError UnsupportedMediaType(std::string message);
ApiError Expired(std::string message);
ApiError MethodNotAllowed(std::string message);
ApiError Unauthorized();
ApiError Forbidden(std::string message);
// A 403 about `resource` in `group` (details name the object), message as given.
ApiError ForbiddenResource(std::string_view group, std::string_view resource,
                           std::string_view name, std::string message);
ApiError InternalServerError(std::string message);
ApiError UnknownResource();
// A store/hook ferry::Status in kube terms for `kind`/`name`.
ApiError FromStatus(const Status& status, const KindInfo& kind, std::string_view name);

}  // namespace ferry::api

// Returns the ApiError from the enclosing function if it is not ok().
#define RETURN_API_ERROR(expr)                           \
  do {                                                   \
    ::ferry::api::ApiError ferry_api_error_ = (expr);    \
    if (!ferry_api_error_.ok()) return ferry_api_error_; \
  } while (0)
