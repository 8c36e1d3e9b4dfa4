#include "api/api_error.h"

#include "api/kinds.h"

namespace ferry::api {
namespace {

ApiError Make(int code, std::string reason, std::string message) {
  ApiError e;
  e.code = code;
  e.reason = std::move(reason);
  e.message = std::move(message);
  return e;
}

ApiError WithDetails(ApiError e, const KindInfo& kind, std::string_view name, bool plural) {
  e.details = {{"name", name}, {"group", kind.group}, {"kind", plural ? kind.plural : kind.kind}};
  return e;
}

}  // namespace

std::string QualifiedResource(const KindInfo& kind) {
  return kind.group.empty() ? kind.plural : kind.plural + "." + kind.group;
}

nlohmann::json ApiError::ToStatusJson() const {
  nlohmann::json j = {
      {"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
      {"status", "Failure"}, {"message", message}, {"reason", reason},
      {"code", code}};
  if (!details.empty()) j["details"] = details;
  return j;
}

Status ApiError::ToStatus() const {
  if (ok()) return OkStatus();
  switch (code) {
    case 400:
    case 422:
      return InvalidArgumentError(message);
    case 401:
      return UnauthenticatedError(message);
    case 403:
      return PermissionDeniedError(message);
    case 404:
      return NotFoundError(message);
    case 409:
      return reason == "AlreadyExists" ? AlreadyExistsError(message) : AbortedError(message);
    case 410:
      return OutOfRangeError(message);
    case 405:
    case 415:
      return UnimplementedError(message);
    default:
      return InternalError(message);
  }
}

ApiError NotFound(const KindInfo& kind, std::string_view name) {
  return WithDetails(
      Make(404, "NotFound", QualifiedResource(kind) + " \"" + std::string(name) + "\" not found"),
      kind, name, true);
}

ApiError AlreadyExists(const KindInfo& kind, std::string_view name) {
  return WithDetails(
      Make(409, "AlreadyExists",
           QualifiedResource(kind) + " \"" + std::string(name) + "\" already exists"),
      kind, name, true);
}

ApiError Conflict(const KindInfo& kind, std::string_view name) {
  return WithDetails(
      Make(409, "Conflict",
           "Operation cannot be fulfilled on " + QualifiedResource(kind) + " \"" +
               std::string(name) +
               "\": the object has been modified; please apply your changes to the latest "
               "version and try again"),
      kind, name, true);
}

ApiError Invalid(const KindInfo& kind, std::string_view name, std::vector<FieldError> causes) {
  std::string what = kind.group.empty() ? kind.kind : kind.kind + "." + kind.group;
  std::string msg = what + " \"" + std::string(name) + "\" is invalid: ";
  nlohmann::json jc = nlohmann::json::array();
  for (size_t i = 0; i < causes.size(); ++i) {
    if (i) msg += ", ";
    msg += causes[i].field + ": " + causes[i].message;
    jc.push_back(
        {{"reason", causes[i].type}, {"message", causes[i].message}, {"field", causes[i].field}});
  }
  ApiError e = WithDetails(Make(422, "Invalid", msg), kind, name, false);
  e.details["causes"] = jc;
  return e;
}

ApiError BadRequest(std::string message) { return Make(400, "BadRequest", std::move(message)); }
ApiError UnsupportedMediaType(std::string message) {
  return Make(415, "UnsupportedMediaType", std::move(message));
}
ApiError Expired(std::string message) { return Make(410, "Expired", std::move(message)); }
ApiError MethodNotAllowed(std::string message) {
  return Make(405, "MethodNotAllowed", std::move(message));
}
ApiError Unauthorized() { return Make(401, "Unauthorized", "Unauthorized"); }
ApiError Forbidden(std::string message) { return Make(403, "Forbidden", std::move(message)); }
ApiError ForbiddenResource(std::string_view group, std::string_view resource,
                           std::string_view name, std::string message) {
  ApiError e = Make(403, "Forbidden", std::move(message));
  if (!group.empty() || !resource.empty() || !name.empty()) {
    e.details = {{"name", name}, {"group", group}, {"kind", resource}};
  }
  return e;
}

ApiError InternalServerError(std::string message) {
  return Make(500, "InternalError", std::move(message));
}
ApiError UnknownResource() {
  return Make(404, "NotFound", "the server could not find the requested resource");
}

ApiError FromStatus(const Status& status, const KindInfo& kind, std::string_view name) {
  switch (status.code()) {
    case StatusCode::kOk:
      return ApiError();
    case StatusCode::kNotFound:
      return NotFound(kind, name);
    case StatusCode::kAlreadyExists:
      return AlreadyExists(kind, name);
    case StatusCode::kAborted:
      return Conflict(kind, name);
    case StatusCode::kOutOfRange:
      return Expired(status.message());
    case StatusCode::kInvalidArgument: {
      // Hooks word errors as "field: message"; keep the field for details.causes.
      const std::string& m = status.message();
      size_t colon = m.find(": ");
      FieldError fe{colon == std::string::npos ? "" : m.substr(0, colon), "FieldValueInvalid",
                    colon == std::string::npos ? m : m.substr(colon + 2)};
      return Invalid(kind, name, {fe});
    }
    case StatusCode::kPermissionDenied:
      return Forbidden(status.message());
    default:
      return InternalServerError(status.message());
  }
}

}  // namespace ferry::api
