#include "runtime/loader.h"

#include <chrono>

#include "runtime/layout.h"
#include "runtime/mlflow_loader.h"
#include "runtime/signature.h"
#include "runtime/triton_loader.h"

namespace ferry::runtime {
namespace {

StatusOr<std::unique_ptr<ServedModel>> LoadPlainFile(const RuntimeRegistry& registry,
                                                     const DetectedLayout& layout,
                                                     std::string_view model_name) {
  const std::string label = FormatLabel(layout.format);
  const FormatRuntime* runtime = registry.FindByName(layout.format);
  if (runtime == nullptr) {
    return UnimplementedError(layout.path.string() + " is a " + label + " model file; " + label +
                              " models need the " + layout.format +
                              " runtime, which this build does not include");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Model> model, runtime->LoadFile(layout.path, LoadOptions{}));
  auto served = std::make_unique<ServedModel>();
  served->name = std::string(model_name);
  served->metadata.name = served->name;
  served->model = std::move(model);
  served->output_style = protocol::OutputStyle::kKserve;
  served->format = std::string(runtime->name());
  served->source = label + " model file " + layout.path.string() + " (KServe plain layout)";
  FillMetadataFromModelInfo(served->model->info(), served->metadata);
  served->warnings = served->model->info().warnings;
  return served;
}

}  // namespace

StatusOr<std::unique_ptr<ServedModel>> LoadModelDir(const RuntimeRegistry& registry,
                                                    const std::filesystem::path& dir,
                                                    std::string_view model_name) {
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(DetectedLayout layout, DetectLayout(registry, dir));
  std::unique_ptr<ServedModel> served;
  if (layout.kind == DetectedLayout::Kind::kMlflow) {
    ASSIGN_OR_RETURN(served, LoadMlflowDir(registry, layout.path, model_name));
  } else if (layout.kind == DetectedLayout::Kind::kTriton) {
    ASSIGN_OR_RETURN(served, LoadTritonDir(registry, layout.path, model_name));
  } else {
    ASSIGN_OR_RETURN(served, LoadPlainFile(registry, layout, model_name));
  }
  if (!layout.note.empty()) {
    served->warnings.insert(served->warnings.begin(), layout.note);
  }
  served->load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return served;
}

}  // namespace ferry::runtime
