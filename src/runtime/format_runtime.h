// FormatRuntime: loads model files of one framework (scikit-learn, XGBoost,
// PyTorch).
//
// Runtimes are registered explicitly, in one list, in src/main (see
// RuntimeRegistry); each lives in a backend shared object loaded on first use
// (runtime/backend.h, runtime/backend_loader.h). The MLflow loader and the
// plain-directory detector both go through this interface, so a new framework
// is one backend and one line. Implementations are stateless and thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "runtime/model.h"

namespace ferry::runtime {

// Options that come from an MLflow flavor block or the serving config.
struct LoadOptions {
  std::string serialization_format;  // sklearn flavor: "pickle" | "cloudpickle" | ""
  std::string model_class;           // xgboost flavor: e.g. "xgboost.sklearn.XGBClassifier"
  std::string model_format;          // xgboost flavor: "xgb" | "json" | "ubj" | ""
  // Tensors declared next to the model (Triton's config.pbtxt), for
  // tensor-native runtimes: their names, datatypes and shapes (batch
  // dimension included, -1 = any) win over what the model file says. Empty
  // when nothing declares them; `declared_by` names the source for errors.
  std::vector<protocol::TensorSpec> declared_inputs;
  std::vector<protocol::TensorSpec> declared_outputs;
  std::string declared_by;
};

class FormatRuntime {
 public:
  virtual ~FormatRuntime() = default;
  // Model format name as KServe spells it in `modelFormat.name`: "sklearn", "xgboost".
  virtual std::string_view name() const = 0;
  // MLflow flavor name this runtime serves ("sklearn", "xgboost").
  virtual std::string_view mlflow_flavor() const = 0;
  // File names KServe's plain layout uses for this framework, e.g. model.joblib.
  virtual std::vector<std::string> plain_file_names() const = 0;
  // Loads one model file. Errors name the file and the cause.
  virtual StatusOr<std::unique_ptr<Model>> LoadFile(const std::filesystem::path& file,
                                                    const LoadOptions& options) const = 0;
};

}  // namespace ferry::runtime
