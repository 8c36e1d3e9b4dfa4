// Paths a model's own metadata names — MLmodel's flavor file fields
// (`pickled_model`, `data`, `model_path`) and
// `saved_input_example_info.artifact_path` — are untrusted: a model directory
// comes from whoever created the InferenceService. Every such path is
// resolved inside the model directory, symlinks included, or refused with an
// error naming the field and the path as written (never what it resolves to).
//
// LexicalModelPath is pure (fuzzed with the MLmodel parser);
// ResolveModelPath also resolves symlinks on the file system. Thread-safe.
#pragma once

#include <filesystem>
#include <string_view>

#include "common/status.h"

namespace ferry::runtime {

// `rel` as a relative path that stays inside its directory, lexically:
// InvalidArgument for an empty or absolute path or one climbing out with `..`.
// `field` (e.g. "flavors.sklearn.pickled_model") and `origin` (the MLmodel
// file) name it in the error.
StatusOr<std::filesystem::path> LexicalModelPath(std::string_view rel, std::string_view field,
                                                 std::string_view origin);

// `dir` / `rel`, checked after resolving symlinks: PermissionDenied when a
// link leads it out of `dir`, NotFound when nothing is there, else `dir` / `rel`.
StatusOr<std::filesystem::path> ResolveModelPath(const std::filesystem::path& dir,
                                                 std::string_view rel, std::string_view field,
                                                 std::string_view origin);

}  // namespace ferry::runtime
