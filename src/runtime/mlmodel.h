// MlModel: the parsed `MLmodel` file of an MLflow model directory.
//
// ParseMlModel reads the YAML text (block_yaml.h for MLflow's own block style,
// else yaml-cpp, wrapped: no exception escapes)
// into plain values; it does not touch the file system and does not decide
// which flavor to run (runtime/mlflow_loader.cc does). Signature fields stay
// the JSON strings MLflow writes; runtime/signature.h parses them.
// Pure functions on values; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace ferry::runtime {

// One block under `flavors:`. Scalar values are kept as text; nested maps are
// flattened with '.' ("env.conda"), a bare `env: conda.yaml` stays "env".
// YAML null and sequences are omitted.
struct MlflowFlavor {
  std::string name;
  std::vector<std::pair<std::string, std::string>> fields;

  // Value of `key`, or "" when absent.
  std::string Get(std::string_view key) const;
  bool operator==(const MlflowFlavor&) const = default;
  bool Has(std::string_view key) const;
};

struct SavedInputExampleInfo {
  std::string artifact_path;  // e.g. input_example.json
  std::string type;           // "dataframe", "ndarray", ...
  std::string pandas_orient;  // "split", "records", ...
  std::string serving_input_path;
  bool operator==(const SavedInputExampleInfo&) const = default;
};

struct MlModel {
  std::vector<MlflowFlavor> flavors;  // in file order
  std::string mlflow_version;
  std::string artifact_path;
  std::string model_uuid;
  std::string run_id;
  std::string utc_time_created;
  // `signature:` present (even when some of its parts are null).
  bool has_signature = false;
  std::optional<std::string> signature_inputs;   // JSON text
  std::optional<std::string> signature_outputs;  // JSON text
  std::optional<std::string> signature_params;   // JSON text
  std::optional<SavedInputExampleInfo> input_example;

  const MlflowFlavor* FindFlavor(std::string_view name) const;
  std::string FlavorNames() const;  // "python_function, sklearn"
  bool operator==(const MlModel&) const = default;
};

// Parses MLmodel YAML. `origin` names the file in error messages. Files in
// the block style MLflow writes are read by block_yaml.h's reader; any other
// YAML by yaml-cpp.
StatusOr<MlModel> ParseMlModel(std::string_view yaml_text, std::string_view origin);
// The same with yaml-cpp for every file (tests and the fuzz target compare).
StatusOr<MlModel> ParseMlModelWithYamlCpp(std::string_view yaml_text, std::string_view origin);
// Whether ParseMlModel reads `yaml_text` without yaml-cpp.
bool MlModelFastPath(std::string_view yaml_text);

}  // namespace ferry::runtime
