// Fuzz: manifest text (YAML/JSON) → objects → field pruning, defaults and
// validation for every kind. Must never crash or throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/field_validation.h"
#include "api/kinds.h"
#include "api/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto docs = ferry::api::ParseManifests(text);
  if (!docs.ok()) return 0;
  for (nlohmann::json& doc : *docs) {
    for (const ferry::api::KindInfo& kind : ferry::api::AllKinds()) {
      nlohmann::json obj = doc;
      if (!obj.is_object()) continue;
      try {
        ferry::api::PruneUnknownFields(kind, obj);
        if (kind.defaults) kind.defaults(obj);
        if (kind.validate) kind.validate(obj);
        if (kind.cells) kind.cells(obj);
      } catch (const nlohmann::json::exception&) {
        // Defaults/cells may meet wrong JSON types; ObjectService turns these into 400s.
      }
    }
  }
  return 0;
}
