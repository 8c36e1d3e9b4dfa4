#include "runtime/mlmodel.h"

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

#include "runtime/block_yaml.h"

namespace ferry::runtime {
namespace {

// YAML scalars only; null and non-scalars read as "".
std::string Scalar(const YAML::Node& node) {
  if (!node || !node.IsScalar()) {
    return "";
  }
  return node.Scalar();
}

// Flavor blocks are shallow (env: {conda, virtualenv}); deeper maps are ignored.
constexpr int kMaxFlattenDepth = 4;
// And small: entries beyond this many are not visited. YAML aliases can make
// a few bytes name the same map thousands of times per level (a "billion
// laughs" MLmodel would otherwise be walked into billions of fields).
constexpr size_t kMaxFlavorEntries = 1000;

void Flatten(const YAML::Node& node, const std::string& prefix, int depth, MlflowFlavor& out,
             size_t& budget) {
  if (depth > kMaxFlattenDepth) {
    return;
  }
  for (const auto& kv : node) {
    const std::string key = prefix.empty() ? Scalar(kv.first) : prefix + "." + Scalar(kv.first);
    const YAML::Node& value = kv.second;
    if (budget == 0) return;
    --budget;
    if (value.IsMap()) {
      Flatten(value, key, depth + 1, out, budget);
    } else if (value.IsScalar()) {
      out.fields.emplace_back(key, value.Scalar());
    }
  }
}

Status ParseFlavors(const YAML::Node& flavors, std::string_view origin, MlModel& out) {
  if (!flavors || flavors.IsNull()) {
    return InvalidArgumentError(std::string(origin) +
                                " has no `flavors:` section, so it does not say how the model "
                                "was saved; re-log the model with mlflow.<flavor>.log_model");
  }
  if (!flavors.IsMap()) {
    return InvalidArgumentError(std::string(origin) +
                                ": `flavors:` must be a mapping of flavor name to settings");
  }
  for (const auto& kv : flavors) {
    MlflowFlavor flavor;
    flavor.name = Scalar(kv.first);
    if (kv.second.IsMap()) {
      size_t budget = kMaxFlavorEntries;
      Flatten(kv.second, "", 0, flavor, budget);
    }
    out.flavors.push_back(std::move(flavor));
  }
  if (out.flavors.empty()) {
    return InvalidArgumentError(std::string(origin) + ": `flavors:` is empty");
  }
  return OkStatus();
}

// Signature parts are JSON strings; null means "not given".
std::optional<std::string> OptionalText(const YAML::Node& node) {
  if (!node || node.IsNull() || !node.IsScalar()) {
    return std::nullopt;
  }
  return node.Scalar();
}

Status ParseRoot(const YAML::Node& root, std::string_view origin, MlModel& out) {
  if (!root.IsMap()) {
    return InvalidArgumentError(std::string(origin) +
                                " is not a YAML mapping; an MLmodel file starts with keys such "
                                "as `flavors:` and `mlflow_version:`");
  }
  RETURN_IF_ERROR(ParseFlavors(root["flavors"], origin, out));
  out.mlflow_version = Scalar(root["mlflow_version"]);
  out.artifact_path = Scalar(root["artifact_path"]);
  out.model_uuid = Scalar(root["model_uuid"]);
  out.run_id = Scalar(root["run_id"]);
  out.utc_time_created = Scalar(root["utc_time_created"]);
  if (out.utc_time_created.empty()) {
    out.utc_time_created = Scalar(root["time_created"]);
  }
  const YAML::Node sig = root["signature"];
  if (sig && sig.IsMap()) {
    out.has_signature = true;
    out.signature_inputs = OptionalText(sig["inputs"]);
    out.signature_outputs = OptionalText(sig["outputs"]);
    out.signature_params = OptionalText(sig["params"]);
  } else if (sig && !sig.IsNull()) {
    return InvalidArgumentError(std::string(origin) +
                                ": `signature:` must be a mapping with `inputs`/`outputs`");
  }
  const YAML::Node ex = root["saved_input_example_info"];
  if (ex && ex.IsMap()) {
    SavedInputExampleInfo info;
    info.artifact_path = Scalar(ex["artifact_path"]);
    info.type = Scalar(ex["type"]);
    info.pandas_orient = Scalar(ex["pandas_orient"]);
    info.serving_input_path = Scalar(ex["serving_input_path"]);
    out.input_example = std::move(info);
  }
  return OkStatus();
}

}  // namespace

std::string MlflowFlavor::Get(std::string_view key) const {
  for (const auto& [k, v] : fields) {
    if (k == key) {
      return v;
    }
  }
  return "";
}

bool MlflowFlavor::Has(std::string_view key) const {
  for (const auto& [k, v] : fields) {
    if (k == key) {
      return true;
    }
  }
  return false;
}

const MlflowFlavor* MlModel::FindFlavor(std::string_view name) const {
  for (const auto& f : flavors) {
    if (f.name == name) {
      return &f;
    }
  }
  return nullptr;
}

std::string MlModel::FlavorNames() const {
  std::string names;
  for (const auto& f : flavors) {
    names += names.empty() ? f.name : ", " + f.name;
  }
  return names;
}

StatusOr<MlModel> ParseMlModel(std::string_view yaml_text, std::string_view origin) {
  if (std::optional<YAML::Node> root = ReadBlockYaml(yaml_text)) {
    MlModel out;
    try {
      RETURN_IF_ERROR(ParseRoot(*root, origin, out));
      return out;
    } catch (const std::exception&) {
      // Not expected on a tree built in memory; yaml-cpp's parse says what is wrong.
    }
  }
  return ParseMlModelWithYamlCpp(yaml_text, origin);
}

bool MlModelFastPath(std::string_view yaml_text) { return ReadBlockYaml(yaml_text).has_value(); }

StatusOr<MlModel> ParseMlModelWithYamlCpp(std::string_view yaml_text, std::string_view origin) {
  MlModel out;
  try {
    const YAML::Node root = YAML::Load(std::string(yaml_text));
    RETURN_IF_ERROR(ParseRoot(root, origin, out));
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(std::string(origin) + " is not valid YAML (" + e.what() +
                                "); fix the file or re-log the model with MLflow");
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string(origin) + " could not be read as YAML: " + e.what());
  }
  return out;
}

}  // namespace ferry::runtime
