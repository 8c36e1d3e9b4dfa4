#include "runtime/triton_loader.h"

#include <algorithm>
#include <charconv>
#include <system_error>

#include "runtime/mlflow_loader.h"
#include "runtime/model_path.h"
#include "runtime/signature.h"
#include "runtime/triton_config.h"

namespace ferry::runtime {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;

// Numbered subdirectories of `dir`, ascending.
std::vector<int64_t> VersionDirs(const fs::path& dir) {
  std::vector<int64_t> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    int64_t v = 0;
    auto [p, err] = std::from_chars(name.data(), name.data() + name.size(), v);
    std::error_code dec;
    if (err == std::errc() && p == name.data() + name.size() && v >= 0 &&
        it->is_directory(dec)) {
      out.push_back(v);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

StatusOr<int64_t> ChooseVersion(const TritonConfig& config, const fs::path& dir,
                                const std::string& origin) {
  const std::vector<int64_t> present = VersionDirs(dir);
  if (present.empty()) {
    return NotFoundError(origin + ": " + dir.string() +
                         " has no version directory; put the model in a numbered directory "
                         "(e.g. " + (dir / "1" / "model.pt").string() + ")");
  }
  if (config.specific_versions.empty()) {
    return present.back();
  }
  int64_t best = -1;
  for (int64_t v : config.specific_versions) {
    if (std::binary_search(present.begin(), present.end(), v)) {
      best = std::max(best, v);
    }
  }
  if (best < 0) {
    return NotFoundError(origin + ": version_policy.specific names versions none of which is a "
                         "directory in " + dir.string() + "; add one or change the policy");
  }
  return best;
}

StatusOr<std::vector<protocol::TensorSpec>> Declared(const TritonConfig& config,
                                                     const std::vector<TritonTensor>& tensors,
                                                     const char* kind,
                                                     const std::string& origin) {
  std::vector<protocol::TensorSpec> out;
  for (const auto& t : tensors) {
    if (t.datatype == protocol::DataType::kInvalid || t.datatype == protocol::DataType::kBytes) {
      return InvalidArgumentError(origin + ": " + kind + " " + t.name + " has data_type " +
                                  t.data_type +
                                  ", which a TorchScript tensor cannot hold; use TYPE_FP32, "
                                  "TYPE_FP64, TYPE_INT64 or another numeric type");
    }
    if (t.has_reshape) {
      return UnimplementedError(origin + ": " + kind + " " + t.name +
                                " has a reshape, which Ferry does not apply; remove it and "
                                "declare the dims the model takes");
    }
    protocol::TensorSpec spec{t.name, t.datatype, {}, ""};
    if (config.max_batch_size > 0) {
      spec.shape.push_back(-1);
    }
    spec.shape.insert(spec.shape.end(), t.dims.begin(), t.dims.end());
    out.push_back(std::move(spec));
  }
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<ServedModel>> LoadTritonDir(const RuntimeRegistry& registry,
                                                     const fs::path& dir,
                                                     std::string_view model_name) {
  const std::string origin = "config.pbtxt at " + dir.string();
  ASSIGN_OR_RETURN(fs::path config_file,
                   ResolveModelPath(dir, "config.pbtxt", "the file", origin));
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(config_file, kMaxConfigBytes));
  ASSIGN_OR_RETURN(TritonConfig config, ParseTritonConfig(text, origin));
  const bool pytorch = config.platform == "pytorch_libtorch" ||
                       (config.platform.empty() && config.backend == "pytorch");
  if (!pytorch) {
    const std::string declared =
        config.platform.empty() && config.backend.empty()
            ? "neither a platform nor a backend"
            : "platform \"" + config.platform + "\", backend \"" + config.backend + "\"";
    return UnimplementedError(origin + " declares " + declared +
                              "; Ferry serves Triton models of platform pytorch_libtorch "
                              "(TorchScript model.pt) only. Fix: set platform: "
                              "\"pytorch_libtorch\" for a TorchScript model, or serve it with "
                              "Triton");
  }
  const FormatRuntime* runtime = registry.FindByName("pytorch");
  if (runtime == nullptr) {
    return UnimplementedError(origin + " declares a PyTorch model; this build has no pytorch "
                              "runtime");
  }
  ASSIGN_OR_RETURN(int64_t version, ChooseVersion(config, dir, origin));
  const std::string file_name =
      config.default_model_filename.empty() ? "model.pt" : config.default_model_filename;
  const std::string rel = std::to_string(version) + "/" + file_name;
  StatusOr<fs::path> file = ResolveModelPath(dir, rel, "default_model_filename", origin);
  if (file.status().code() == StatusCode::kNotFound) {
    return NotFoundError(origin + ": version " + std::to_string(version) + " has no " +
                         file_name + " (" + (dir / rel).string() +
                         " is missing); save the model there with torch.jit.save");
  }
  if (!file.ok()) {
    return file.status();
  }
  LoadOptions options;
  ASSIGN_OR_RETURN(options.declared_inputs, Declared(config, config.inputs, "input", origin));
  ASSIGN_OR_RETURN(options.declared_outputs, Declared(config, config.outputs, "output", origin));
  options.declared_by = origin;
  ASSIGN_OR_RETURN(std::unique_ptr<Model> model, runtime->LoadFile(*file, options));

  auto served = std::make_unique<ServedModel>();
  served->name = std::string(model_name);
  served->metadata.name = served->name;
  served->metadata.versions = {std::to_string(version)};
  served->metadata.platform = config.platform.empty() ? "pytorch_libtorch" : config.platform;
  served->model = std::move(model);
  served->output_style = protocol::OutputStyle::kKserve;
  served->format = std::string(runtime->name());
  served->source = "Triton model (" + served->metadata.platform + ", version " +
                   std::to_string(version) + ") at " + dir.string();
  FillMetadataFromModelInfo(served->model->info(), served->metadata);
  served->warnings = served->model->info().warnings;
  if (!config.name.empty() && config.name != dir.filename().string()) {
    served->warnings.push_back(origin + " names the model \"" + config.name +
                               "\" but its directory is " + dir.filename().string() +
                               " (Triton requires them to match); serving it as " +
                               served->name);
  }
  return served;
}

}  // namespace ferry::runtime
