// Fuzz target: MLmodel YAML and the signature JSON strings inside it are
// untrusted (they arrive with a downloaded model). Parsing must never crash,
// hang or throw; errors are Status values. The paths it names go through the
// lexical model-path check.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "runtime/mlmodel.h"
#include "runtime/model_path.h"
#include "runtime/signature.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto mm = ferry::runtime::ParseMlModel(text, "fuzz MLmodel");
  // Where the block reader answers, it must agree with yaml-cpp exactly.
  if (ferry::runtime::MlModelFastPath(text)) {
    auto full = ferry::runtime::ParseMlModelWithYamlCpp(text, "fuzz MLmodel");
    if (mm.ok() != full.ok() || (mm.ok() && !(*mm == *full)) ||
        (!mm.ok() && mm.status().message() != full.status().message())) {
      __builtin_trap();
    }
  }
  if (mm.ok()) {
    // Every path the loader would read is checked lexically first.
    for (const auto& flavor : mm->flavors) {
      for (const char* key : {"pickled_model", "data", "model_path"}) {
        if (flavor.Has(key)) (void)ferry::runtime::LexicalModelPath(flavor.Get(key), key, "fuzz");
      }
    }
    if (mm->input_example.has_value()) {
      (void)ferry::runtime::LexicalModelPath(mm->input_example->artifact_path, "artifact_path",
                                             "fuzz");
    }
    for (const auto* part : {&mm->signature_inputs, &mm->signature_outputs}) {
      if (!part->has_value()) {
        continue;
      }
      auto schema = ferry::runtime::ParseSchemaJson(**part, "fuzz signature");
      if (schema.ok()) {
        (void)ferry::runtime::ToMetadataTensors(*schema, "input-");
        (void)ferry::runtime::ToModelContentType(*schema);
      }
    }
  }
  // The same bytes as a bare signature JSON string.
  auto schema = ferry::runtime::ParseSchemaJson(text, "fuzz signature");
  if (schema.ok()) {
    (void)ferry::runtime::ToMetadataTensors(*schema, "output-");
  }
  return 0;
}
