// DetectLayout: decides what kind of model directory a path is (MLflow model
// directory or KServe plain layout) without loading anything. Internal to
// ferry_runtime; used by LoadModelDir (runtime/loader.h), whose header states
// the detection rules. Blocking file-system reads; thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "runtime/registry.h"

namespace ferry::runtime {

// A framework whose plain files Ferry recognises, whether or not its runtime is
// registered in this build (so a missing runtime gets a precise error).
struct FormatFiles {
  std::string name;                // "sklearn"
  std::string label;               // "scikit-learn"
  std::vector<std::string> files;  // model.joblib, ...
};
// Registered runtimes first, then the frameworks Ferry knows but this build lacks.
std::vector<FormatFiles> KnownFormats(const RuntimeRegistry& registry);
// "scikit-learn" for "sklearn" etc.; the name itself when unknown.
std::string FormatLabel(std::string_view name);

struct DetectedLayout {
  enum class Kind { kMlflow, kTriton, kPlainFile };
  Kind kind = Kind::kPlainFile;
  // The directory holding MLmodel or config.pbtxt, or the model file.
  std::filesystem::path path;
  std::string format;          // plain files: the framework name ("xgboost")
  std::string note;            // how it was found, when not obvious (becomes a warning)
};

StatusOr<DetectedLayout> DetectLayout(const RuntimeRegistry& registry,
                                      const std::filesystem::path& dir);

}  // namespace ferry::runtime
