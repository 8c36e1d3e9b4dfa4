// LoadModelDir: turns a model directory (what KServe's storage initializer puts
// in /mnt/models) into a ServedModel.
//
// Detection never guesses silently. In order:
//   1. DIR is a file: served by the runtime whose plain file names/extensions match.
//   2. DIR holds `MLmodel`: an MLflow model directory.
//   3. DIR holds config.pbtxt: a Triton model directory (runtime/triton_loader.h).
//   4. DIR holds neither but exactly one subdirectory that holds one of them: that
//      subdirectory (an error if DIR also holds a plain model file).
//   5. KServe plain layout: a file named like a runtime's plain_file_names
//      (model.joblib, model.bst, ...), else the single file with such an extension.
// Anything else is an error that lists what was found and what is supported; two
// candidate model files (or MLflow subdirectories) are an error naming both.
//
// Called once per model at start-up (ferry serve) or by the controller; blocking
// file I/O; safe to call from several threads with the same (immutable) registry.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "common/status.h"
#include "runtime/registry.h"
#include "runtime/served_model.h"

namespace ferry::runtime {

StatusOr<std::unique_ptr<ServedModel>> LoadModelDir(const RuntimeRegistry& registry,
                                                    const std::filesystem::path& dir,
                                                    std::string_view model_name);

// Whether `dir` is a model repository (KServe's multi-model layout: one directory per model,
// each served under its directory's name) rather than one model. Only a directory that the
// rules above refuse can be one: it holds no model file (nor MLmodel) of its own, and at least
// one of its subdirectories is a model directory by those rules. So every directory that loads
// as one model today still does.
bool IsModelRepository(const RuntimeRegistry& registry, const std::filesystem::path& dir);

}  // namespace ferry::runtime
