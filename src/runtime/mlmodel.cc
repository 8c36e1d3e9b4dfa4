#include "runtime/mlmodel.h"

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

#include "runtime/block_yaml.h"

namespace ferry::runtime {
namespace {

// ParseRoot reads yaml-cpp's tree and the block reader's (block_yaml.h) through these two views,
// so both paths apply the same rules and errors. Each view is a node, or "undefined" for a key
// that is absent (yaml-cpp's `!node`). ForEach calls f(key, value) per map entry, in order,
// until f returns false; non-scalar keys of yaml-cpp's maps read as "".
class YamlCppView {
 public:
  explicit YamlCppView(YAML::Node node) : node_(std::move(node)) {}
  bool Defined() const { return node_.IsDefined(); }
  bool IsNull() const { return node_.IsNull(); }
  bool IsMap() const { return node_.IsMap(); }
  bool IsScalar() const { return node_.IsScalar(); }
  const std::string& Scalar() const { return node_.Scalar(); }
  YamlCppView Get(const char* key) const {
    const YAML::Node& node = node_;  // the const operator[] does not add the key
    return YamlCppView(node[key]);
  }
  template <typename F>
  void ForEach(F&& f) const {
    for (const auto& kv : node_) {
      const YAML::Node& key = kv.first;
      static const std::string kEmpty;
      if (!f(key && key.IsScalar() ? key.Scalar() : kEmpty, YamlCppView(kv.second))) return;
    }
  }

 private:
  YAML::Node node_;
};

class BlockView {
 public:
  explicit BlockView(const BlockNode* node) : node_(node) {}
  bool Defined() const { return node_ != nullptr; }
  bool IsNull() const { return node_->kind == BlockNode::Kind::kNull; }
  bool IsMap() const { return node_->kind == BlockNode::Kind::kMap; }
  bool IsScalar() const { return node_->kind == BlockNode::Kind::kScalar; }
  const std::string& Scalar() const { return node_->scalar; }
  BlockView Get(std::string_view key) const {
    for (const BlockEntry& e : node_->entries) {
      if (e.key == key) return BlockView(&e.value);
    }
    return BlockView(nullptr);
  }
  template <typename F>
  void ForEach(F&& f) const {
    for (const BlockEntry& e : node_->entries) {
      if (!f(e.key, BlockView(&e.value))) return;
    }
  }

 private:
  const BlockNode* node_;
};

// YAML scalars only; null and non-scalars read as "".
template <typename View>
std::string Scalar(const View& node) {
  if (!node.Defined() || !node.IsScalar()) {
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

template <typename View>
void Flatten(const View& node, const std::string& prefix, int depth, MlflowFlavor& out,
             size_t& budget) {
  if (depth > kMaxFlattenDepth) {
    return;
  }
  node.ForEach([&](std::string_view name, const View& value) {
    if (budget == 0) return false;
    --budget;
    std::string key = prefix.empty() ? std::string(name) : prefix + "." + std::string(name);
    if (value.IsMap()) {
      Flatten(value, key, depth + 1, out, budget);
    } else if (value.IsScalar()) {
      out.fields.emplace_back(std::move(key), value.Scalar());
    }
    return true;
  });
}

template <typename View>
Status ParseFlavors(const View& flavors, std::string_view origin, MlModel& out) {
  if (!flavors.Defined() || flavors.IsNull()) {
    return InvalidArgumentError(std::string(origin) +
                                " has no `flavors:` section, so it does not say how the model "
                                "was saved; re-log the model with mlflow.<flavor>.log_model");
  }
  if (!flavors.IsMap()) {
    return InvalidArgumentError(std::string(origin) +
                                ": `flavors:` must be a mapping of flavor name to settings");
  }
  flavors.ForEach([&](std::string_view name, const View& settings) {
    MlflowFlavor flavor;
    flavor.name = std::string(name);
    if (settings.IsMap()) {
      size_t budget = kMaxFlavorEntries;
      Flatten(settings, "", 0, flavor, budget);
    }
    out.flavors.push_back(std::move(flavor));
    return true;
  });
  if (out.flavors.empty()) {
    return InvalidArgumentError(std::string(origin) + ": `flavors:` is empty");
  }
  return OkStatus();
}

// Signature parts are JSON strings; null means "not given".
template <typename View>
std::optional<std::string> OptionalText(const View& node) {
  if (!node.Defined() || node.IsNull() || !node.IsScalar()) {
    return std::nullopt;
  }
  return node.Scalar();
}

template <typename View>
Status ParseRoot(const View& root, std::string_view origin, MlModel& out) {
  if (!root.IsMap()) {
    return InvalidArgumentError(std::string(origin) +
                                " is not a YAML mapping; an MLmodel file starts with keys such "
                                "as `flavors:` and `mlflow_version:`");
  }
  RETURN_IF_ERROR(ParseFlavors(root.Get("flavors"), origin, out));
  out.mlflow_version = Scalar(root.Get("mlflow_version"));
  out.artifact_path = Scalar(root.Get("artifact_path"));
  out.model_uuid = Scalar(root.Get("model_uuid"));
  out.run_id = Scalar(root.Get("run_id"));
  out.utc_time_created = Scalar(root.Get("utc_time_created"));
  if (out.utc_time_created.empty()) {
    out.utc_time_created = Scalar(root.Get("time_created"));
  }
  const View sig = root.Get("signature");
  if (sig.Defined() && sig.IsMap()) {
    out.has_signature = true;
    out.signature_inputs = OptionalText(sig.Get("inputs"));
    out.signature_outputs = OptionalText(sig.Get("outputs"));
    out.signature_params = OptionalText(sig.Get("params"));
  } else if (sig.Defined() && !sig.IsNull()) {
    return InvalidArgumentError(std::string(origin) +
                                ": `signature:` must be a mapping with `inputs`/`outputs`");
  }
  const View ex = root.Get("saved_input_example_info");
  if (ex.Defined() && ex.IsMap()) {
    SavedInputExampleInfo info;
    info.artifact_path = Scalar(ex.Get("artifact_path"));
    info.type = Scalar(ex.Get("type"));
    info.pandas_orient = Scalar(ex.Get("pandas_orient"));
    info.serving_input_path = Scalar(ex.Get("serving_input_path"));
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
  if (std::optional<BlockNode> root = ReadBlockYaml(yaml_text)) {
    MlModel out;
    RETURN_IF_ERROR(ParseRoot(BlockView(&*root), origin, out));
    return out;
  }
  return ParseMlModelWithYamlCpp(yaml_text, origin);
}

bool MlModelFastPath(std::string_view yaml_text) { return ReadBlockYaml(yaml_text).has_value(); }

StatusOr<MlModel> ParseMlModelWithYamlCpp(std::string_view yaml_text, std::string_view origin) {
  MlModel out;
  try {
    RETURN_IF_ERROR(ParseRoot(YamlCppView(YAML::Load(std::string(yaml_text))), origin, out));
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(std::string(origin) + " is not valid YAML (" + e.what() +
                                "); fix the file or re-log the model with MLflow");
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string(origin) + " could not be read as YAML: " + e.what());
  }
  return out;
}

}  // namespace ferry::runtime
