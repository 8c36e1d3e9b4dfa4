#include "runtime/mlflow_loader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>
#include <system_error>

#include "runtime/input_example.h"
#include "runtime/layout.h"
#include "runtime/mlmodel.h"
#include "runtime/model_path.h"
#include "runtime/signature.h"

namespace ferry::runtime {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxMlmodelBytes = 1 << 20;
constexpr size_t kMaxInputExampleBytes = 16 << 20;
constexpr size_t kExampleRows = 5;  // rows of the input example the dashboard's Try it shows

// Flavors Ferry can serve natively, with the MLmodel key naming their model file.
struct NativeFlavor {
  std::string_view flavor;
  std::string_view file_key;
};
constexpr std::array<NativeFlavor, 3> kNative = {
    {{"sklearn", "pickled_model"}, {"xgboost", "data"}, {"pytorch", "model_data"}}};

std::string_view FileKey(std::string_view flavor) {
  for (const auto& n : kNative) {
    if (n.flavor == flavor) {
      return n.file_key;
    }
  }
  return "data";
}

bool IsNative(const RuntimeRegistry& registry, std::string_view flavor) {
  for (const auto& n : kNative) {
    if (n.flavor == flavor) {
      return true;
    }
  }
  return registry.FindByMlflowFlavor(flavor) != nullptr;
}

std::string SupportedFlavors(const RuntimeRegistry& registry) {
  std::string s;
  for (const auto& r : registry.runtimes()) {
    s += (s.empty() ? "" : ", ") + std::string(r->mlflow_flavor());
  }
  return s.empty() ? "none (this build registers no runtimes)" : s;
}

std::string DescribeFlavor(const MlflowFlavor& f) {
  if (f.name != "python_function") {
    return f.name;
  }
  const std::string loader = f.Get("loader_module");
  if (f.Has("python_model") || loader == "mlflow.pyfunc.model") {
    return "python_function (a custom mlflow.pyfunc.PythonModel, which needs Python to run)";
  }
  return loader.empty() ? f.name : f.name + " (loader_module " + loader + ")";
}

StatusOr<const MlflowFlavor*> ChooseFlavor(const MlModel& mm, const RuntimeRegistry& registry,
                                           const std::string& origin) {
  const MlflowFlavor* pyfunc = mm.FindFlavor("python_function");
  if (pyfunc != nullptr) {
    const std::string loader = pyfunc->Get("loader_module");
    if (loader.rfind("mlflow.", 0) == 0) {
      const MlflowFlavor* named = mm.FindFlavor(loader.substr(7));
      if (named != nullptr && IsNative(registry, named->name)) {
        return named;
      }
    }
  }
  for (const auto& f : mm.flavors) {
    if (IsNative(registry, f.name)) {
      return &f;
    }
  }
  std::string found;
  for (const auto& f : mm.flavors) {
    found += (found.empty() ? "" : ", ") + DescribeFlavor(f);
  }
  return UnimplementedError(origin + " has flavor(s) " + found +
                            ", none of which Ferry can run; Ferry serves the MLflow flavors: " +
                            SupportedFlavors(registry) +
                            ". Fix: log the model with mlflow.sklearn.log_model, "
                            "mlflow.xgboost.log_model or (a TorchScript module) "
                            "mlflow.pytorch.log_model, or serve it with a Python runtime "
                            "such as MLServer");
}

// The model file the flavor names, checked to exist inside `dir`.
StatusOr<fs::path> ModelFile(const MlModel& mm, const MlflowFlavor& flavor, const fs::path& dir,
                             const std::string& origin) {
  std::string key = "flavors." + flavor.name + "." + std::string(FileKey(flavor.name));
  std::string rel = flavor.Get(FileKey(flavor.name));
  const MlflowFlavor* pyfunc = mm.FindFlavor("python_function");
  for (const char* alt : {"model_path", "data"}) {
    if (rel.empty() && pyfunc != nullptr && !pyfunc->Get(alt).empty()) {
      rel = pyfunc->Get(alt);
      key = std::string("flavors.python_function.") + alt;
    }
  }
  if (rel.empty()) {
    return InvalidArgumentError(origin + ": " + key +
                                " is missing, so the model file is unknown; re-log the model "
                                "with MLflow");
  }
  StatusOr<fs::path> file = ResolveModelPath(dir, rel, key, origin);
  if (file.status().code() == StatusCode::kNotFound) {
    return NotFoundError(origin + " names the model file \"" + rel + "\" (" + key + "), but " +
                         (dir / rel).string() +
                         " does not exist; copy the whole MLflow artifact directory");
  }
  return file;
}

StatusOr<PredictMethod> ChooseMethod(const MlModel& mm, const ModelInfo& info,
                                     const std::string& origin) {
  const MlflowFlavor* pyfunc = mm.FindFlavor("python_function");
  const std::string fn = pyfunc != nullptr ? pyfunc->Get("predict_fn") : "";
  if (fn.empty()) {
    return PredictMethod::kPredict;
  }
  const std::optional<PredictMethod> m = ParsePredictMethod(fn);
  // "contributions" is Ferry's own method, not an estimator's predict_fn.
  if (!m.has_value() || *m == PredictMethod::kContributions) {
    return UnimplementedError(origin + " sets predict_fn: " + fn +
                              ", which Ferry does not support; supported: predict, "
                              "predict_proba, predict_log_proba, decision_function");
  }
  if (!info.methods.empty() &&
      std::find(info.methods.begin(), info.methods.end(), *m) == info.methods.end()) {
    return FailedPreconditionError(origin + " sets predict_fn: " + fn + ", but the model (" +
                                   info.description + ") has no " + fn +
                                   "; re-log it with a supported pyfunc_predict_fn");
  }
  return *m;
}

// The signature's JSON strings, each parsed on first use and kept: the declared tensors (before
// the model loads) and the metadata (after) read the same ones.
class SignatureSchemas {
 public:
  SignatureSchemas(const MlModel& mm, const std::string& origin) : mm_(mm), origin_(origin) {}
  // Only when the MLmodel has signature inputs / outputs.
  const StatusOr<Schema>& Inputs() {
    if (!inputs_) inputs_ = ParseSchemaJson(*mm_.signature_inputs, origin_ + " signature.inputs");
    return *inputs_;
  }
  const StatusOr<Schema>& Outputs() {
    if (!outputs_) {
      outputs_ = ParseSchemaJson(*mm_.signature_outputs, origin_ + " signature.outputs");
    }
    return *outputs_;
  }

 private:
  const MlModel& mm_;
  const std::string& origin_;
  std::optional<StatusOr<Schema>> inputs_;
  std::optional<StatusOr<Schema>> outputs_;
};

Status FillSignature(const MlModel& mm, const std::string& origin, SignatureSchemas& schemas,
                     ServedModel& served) {
  if (!mm.signature_inputs.has_value()) {
    FillMetadataFromModelInfo(served.model->info(), served.metadata);
    served.warnings.push_back(origin +
                              " has no signature; V2 metadata was derived from the model itself");
    return OkStatus();
  }
  const StatusOr<Schema>& inputs = schemas.Inputs();
  RETURN_IF_ERROR(inputs.status());
  ASSIGN_OR_RETURN(served.metadata.inputs, ToMetadataTensors(*inputs, "input-"));
  served.metadata.content_type = ToModelContentType(*inputs);
  if (mm.signature_outputs.has_value()) {
    const StatusOr<Schema>& outputs = schemas.Outputs();
    RETURN_IF_ERROR(outputs.status());
    ASSIGN_OR_RETURN(served.metadata.outputs, ToMetadataTensors(*outputs, "output-"));
  }
  served.has_signature = true;
  return OkStatus();
}

// The input example MLflow saved, if any. A path that leaves the model
// directory refuses the model; a missing file is only a warning.
Status FillInputExample(const MlModel& mm, const fs::path& dir, const std::string& origin,
                        ServedModel& served) {
  std::string rel = "input_example.json";
  if (mm.input_example.has_value()) {
    served.input_example_type = mm.input_example->type;
    if (!mm.input_example->artifact_path.empty()) {
      rel = mm.input_example->artifact_path;
    }
  }
  StatusOr<fs::path> file =
      ResolveModelPath(dir, rel, "saved_input_example_info.artifact_path", origin);
  std::error_code ec;
  if (file.status().code() == StatusCode::kNotFound ||
      (file.ok() && !fs::is_regular_file(*file, ec))) {
    if (mm.input_example.has_value()) {
      served.warnings.push_back("MLmodel names the input example " + rel + ", but " +
                                (dir / rel).string() + " is missing; serving without it");
    }
    return OkStatus();
  }
  if (!file.ok()) {
    return file.status();
  }
  StatusOr<std::string> text = ReadSmallFile(*file, kMaxInputExampleBytes);
  if (!text.ok()) {
    served.warnings.push_back(text.status().message());
    return OkStatus();
  }
  served.input_example_json = std::move(*text);
  return OkStatus();
}

// A tensor signature declares the tensors a tensor-native runtime takes and
// returns (names, datatypes, shapes), as config.pbtxt does for Triton models.
Status DeclareSignatureTensors(const MlModel& mm, const std::string& origin,
                               SignatureSchemas& schemas, LoadOptions& options) {
  if (!mm.signature_inputs.has_value()) {
    return OkStatus();
  }
  const StatusOr<Schema>& inputs = schemas.Inputs();
  RETURN_IF_ERROR(inputs.status());
  if (!inputs->is_tensor) {
    return OkStatus();
  }
  ASSIGN_OR_RETURN(options.declared_inputs, ToMetadataTensors(*inputs, "input-"));
  if (mm.signature_outputs.has_value()) {
    const StatusOr<Schema>& outputs = schemas.Outputs();
    RETURN_IF_ERROR(outputs.status());
    if (outputs->is_tensor) {
      ASSIGN_OR_RETURN(options.declared_outputs, ToMetadataTensors(*outputs, "output-"));
    }
  }
  options.declared_by = origin + " signature";
  return OkStatus();
}

}  // namespace

StatusOr<std::string> ReadSmallFile(const fs::path& file, size_t limit) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(file, ec);
  if (ec) {
    return NotFoundError("cannot read " + file.string() + ": " + ec.message());
  }
  if (size > limit) {
    return InvalidArgumentError(file.string() + " is " + std::to_string(size) +
                                " bytes, more than the " + std::to_string(limit) +
                                " Ferry reads for it; is it the right file?");
  }
  // With open/read rather than file streams: this runs before `ferry serve` is ready.
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return PermissionDeniedError("cannot open " + file.string() + "; check its permissions");
  }
  std::string text;
  text.resize(static_cast<size_t>(size));
  size_t got = 0;
  char chunk[4096];
  // To the end, like a stream (the file may have changed since file_size), but never past the
  // limit: a file that grows while it is read is refused, not read without bound.
  while (got <= limit) {
    ssize_t n = got < text.size()
                    ? ::read(fd, text.data() + got, text.size() - got)
                    : ::read(fd, chunk, std::min(sizeof(chunk), limit + 1 - got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // a read error ends the text where it stopped, as the stream did
    if (got < text.size()) {
      got += static_cast<size_t>(n);
    } else {
      text.append(chunk, static_cast<size_t>(n));
      got = text.size();
    }
  }
  ::close(fd);
  if (got > limit) {
    return InvalidArgumentError(file.string() + " grew past the " + std::to_string(limit) +
                                " bytes Ferry reads for it while it was read; is it the right "
                                "file?");
  }
  text.resize(got);
  return text;
}

StatusOr<std::unique_ptr<ServedModel>> LoadMlflowDir(const RuntimeRegistry& registry,
                                                     const fs::path& dir,
                                                     std::string_view model_name) {
  const fs::path mlmodel_path = dir / "MLmodel";
  const std::string origin = "MLmodel at " + mlmodel_path.string();
  ASSIGN_OR_RETURN(fs::path mlmodel_file, ResolveModelPath(dir, "MLmodel", "the file", origin));
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(mlmodel_file, kMaxMlmodelBytes));
  ASSIGN_OR_RETURN(MlModel mm, ParseMlModel(text, origin));
  ASSIGN_OR_RETURN(const MlflowFlavor* flavor, ChooseFlavor(mm, registry, origin));
  ASSIGN_OR_RETURN(fs::path file, ModelFile(mm, *flavor, dir, origin));
  const FormatRuntime* runtime = registry.FindByMlflowFlavor(flavor->name);
  if (runtime == nullptr) {
    return UnimplementedError(origin + " holds a " + FormatLabel(flavor->name) + " model (" +
                              file.string() + "); " + FormatLabel(flavor->name) +
                              " models need the " + flavor->name +
                              " runtime, which this build does not include");
  }
  LoadOptions options;
  options.serialization_format = flavor->Get("serialization_format");
  options.model_class = flavor->Get("model_class");
  options.model_format = flavor->Get("model_format");
  SignatureSchemas schemas(mm, origin);
  RETURN_IF_ERROR(DeclareSignatureTensors(mm, origin, schemas, options));
  ASSIGN_OR_RETURN(std::unique_ptr<Model> model, runtime->LoadFile(file, options));

  auto served = std::make_unique<ServedModel>();
  served->name = std::string(model_name);
  served->metadata.name = served->name;
  served->model = std::move(model);
  served->output_style = protocol::OutputStyle::kMlserver;
  served->format = "mlflow";
  served->mlflow_version = mm.mlflow_version;
  served->source = "MLflow model (" + flavor->name + " flavor, MLflow " +
                   (mm.mlflow_version.empty() ? "version unknown" : mm.mlflow_version) + ") at " +
                   mlmodel_path.string();
  ASSIGN_OR_RETURN(served->default_method, ChooseMethod(mm, served->model->info(), origin));
  RETURN_IF_ERROR(FillSignature(mm, origin, schemas, *served));
  RETURN_IF_ERROR(FillInputExample(mm, dir, origin, *served));
  if (!served->input_example_json.empty()) {
    served->metadata.example_request =
        protocol::LazyText([example = served->input_example_json, md = served->metadata] {
          return ExampleRequest(example, md, kExampleRows);
        });
  }
  for (const auto& w : served->model->info().warnings) {
    served->warnings.push_back(w);
  }
  return served;
}

}  // namespace ferry::runtime
