#include "common/status.h"

namespace ferry {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kCancelled: return "CANCELLED";
    case StatusCode::kUnknown: return "UNKNOWN";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kAlreadyExists: return "ALREADY_EXISTS";
    case StatusCode::kPermissionDenied: return "PERMISSION_DENIED";
    case StatusCode::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case StatusCode::kAborted: return "ABORTED";
    case StatusCode::kOutOfRange: return "OUT_OF_RANGE";
    case StatusCode::kUnimplemented: return "UNIMPLEMENTED";
    case StatusCode::kInternal: return "INTERNAL";
    case StatusCode::kUnavailable: return "UNAVAILABLE";
    case StatusCode::kDataLoss: return "DATA_LOSS";
    case StatusCode::kUnauthenticated: return "UNAUTHENTICATED";
  }
  return "UNKNOWN";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::WithContext(std::string_view prefix) const {
  if (ok()) return *this;
  std::string msg(prefix);
  msg += ": ";
  msg += message_;
  return Status(code_, std::move(msg));
}

#define FERRY_DEFINE_ERROR(Name, Code) \
  Status Name(std::string message) { return Status(StatusCode::Code, std::move(message)); }
FERRY_DEFINE_ERROR(InvalidArgumentError, kInvalidArgument)
FERRY_DEFINE_ERROR(NotFoundError, kNotFound)
FERRY_DEFINE_ERROR(AlreadyExistsError, kAlreadyExists)
FERRY_DEFINE_ERROR(FailedPreconditionError, kFailedPrecondition)
FERRY_DEFINE_ERROR(PermissionDeniedError, kPermissionDenied)
FERRY_DEFINE_ERROR(UnauthenticatedError, kUnauthenticated)
FERRY_DEFINE_ERROR(ResourceExhaustedError, kResourceExhausted)
FERRY_DEFINE_ERROR(UnimplementedError, kUnimplemented)
FERRY_DEFINE_ERROR(InternalError, kInternal)
FERRY_DEFINE_ERROR(UnavailableError, kUnavailable)
FERRY_DEFINE_ERROR(DeadlineExceededError, kDeadlineExceeded)
FERRY_DEFINE_ERROR(OutOfRangeError, kOutOfRange)
FERRY_DEFINE_ERROR(AbortedError, kAborted)
FERRY_DEFINE_ERROR(DataLossError, kDataLoss)
FERRY_DEFINE_ERROR(CancelledError, kCancelled)
#undef FERRY_DEFINE_ERROR

}  // namespace ferry
