// AdmitStorageUri: the InferenceService admission check `ferry up` installs
// with api::ApiServer::AddAdmission. A local storageUri (file://, a plain
// path, pvc://) must lie where storage::LocalAccess allows; anything else is
// refused before it is stored, so `kubectl apply` gets the reason at once.
//
// The check is lexical (it touches no file, so the answer never tells whether
// a path outside the allowed directories exists); the fetch checks again on
// the resolved path, since a prefix of an allowed path may be a symlink.
// Pure function; thread-safe.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "common/status.h"
#include "storage/local_access.h"

namespace ferry::controller {

// Ok for a non-local URI or an allowed local one (and for an object whose
// predictor cannot be read: validation reports that). Else InvalidArgument
// "FIELD: message" (the API answers 422 naming the storageUri field).
Status AdmitStorageUri(const nlohmann::json& isvc, const storage::LocalAccess& access);

}  // namespace ferry::controller
