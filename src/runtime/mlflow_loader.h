// LoadMlflowDir: loads an MLflow model directory (one holding `MLmodel`) with
// the FormatRuntime of its native flavor. Internal to ferry_runtime; callers use
// LoadModelDir (runtime/loader.h). Blocking file I/O; thread-safe.
//
// Flavor choice: the flavor python_function's loader_module names
// (mlflow.sklearn -> sklearn), else the first flavor a Ferry runtime serves.
// Flavors Ferry cannot run natively (custom pyfunc models, pytorch, ...) are
// refused with the flavors found and the ones supported.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "common/status.h"
#include "runtime/registry.h"
#include "runtime/served_model.h"

namespace ferry::runtime {

StatusOr<std::unique_ptr<ServedModel>> LoadMlflowDir(const RuntimeRegistry& registry,
                                                     const std::filesystem::path& dir,
                                                     std::string_view model_name);

// Reads a whole small file; errors name the file and say it is too large past `limit`.
StatusOr<std::string> ReadSmallFile(const std::filesystem::path& file, size_t limit);

}  // namespace ferry::runtime
