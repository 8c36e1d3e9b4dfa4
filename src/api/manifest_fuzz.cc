// Fuzz: manifest text (YAML/JSON) → objects → field pruning, defaults and
// validation. Must never crash or throw.
//
// Each document goes to the kind its apiVersion/kind names, as ObjectService
// routes it; a document naming no known kind goes to one picked by a hash of
// the input, so every kind's code still meets arbitrary shapes (running every
// kind on every document made one execution 14 kinds of work).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "api/field_validation.h"
#include "api/kinds.h"
#include "api/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto docs = ferry::api::ParseManifests(text);
  if (!docs.ok()) return 0;
  const auto& kinds = ferry::api::AllKinds();
  size_t pick = std::hash<std::string_view>{}(text);
  for (nlohmann::json& obj : *docs) {
    if (!obj.is_object()) continue;
    const ferry::api::KindInfo* kind = nullptr;
    auto api_version = obj.find("apiVersion");
    auto kind_name = obj.find("kind");
    if (api_version != obj.end() && api_version->is_string() && kind_name != obj.end() &&
        kind_name->is_string()) {
      kind = ferry::api::FindKindByApiVersion(api_version->get_ref<const std::string&>(),
                                              kind_name->get_ref<const std::string&>());
    }
    if (kind == nullptr) kind = &kinds[pick++ % kinds.size()];
    try {
      ferry::api::PruneUnknownFields(*kind, obj);
      if (kind->defaults) kind->defaults(obj);
      if (kind->validate) kind->validate(obj);
      if (kind->warnings) kind->warnings(obj);
      if (kind->cells) kind->cells(obj);
    } catch (const nlohmann::json::exception&) {
      // Defaults/cells may meet wrong JSON types; ObjectService turns these into 400s.
    }
  }
  return 0;
}
