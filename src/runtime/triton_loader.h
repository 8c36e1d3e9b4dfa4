// LoadTritonDir: loads one model of a Triton model repository — a directory
// holding config.pbtxt and numbered version directories (`1/model.pt`) — with
// the FormatRuntime of its platform. Internal to ferry_runtime; callers use
// LoadModelDir (runtime/loader.h). Blocking file I/O; thread-safe.
//
// Platform: `pytorch_libtorch` (or `backend: "pytorch"`) is served by the
// pytorch runtime; any other platform is refused, naming it. Version: the
// highest numbered directory (Triton's default policy, latest 1), or the
// highest of version_policy.specific that exists. Model file:
// default_model_filename, else model.pt. The configuration's inputs and
// outputs (names, data types, dims — with a leading -1 batch dimension when
// max_batch_size > 0) go to the runtime as declared tensors and become the V2
// metadata.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "common/status.h"
#include "runtime/registry.h"
#include "runtime/served_model.h"

namespace ferry::runtime {

StatusOr<std::unique_ptr<ServedModel>> LoadTritonDir(const RuntimeRegistry& registry,
                                                     const std::filesystem::path& dir,
                                                     std::string_view model_name);

}  // namespace ferry::runtime
