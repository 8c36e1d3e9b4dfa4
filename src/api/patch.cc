#include "api/patch.h"

#include "api/manifest.h"

namespace ferry::api {

using nlohmann::json;

PatchType PatchTypeFromContentType(std::string_view ct) {
  ct = ct.substr(0, ct.find(';'));
  if (ct == "application/merge-patch+json") return PatchType::kMerge;
  if (ct == "application/json-patch+json") return PatchType::kJson;
  if (ct == "application/strategic-merge-patch+json") return PatchType::kStrategic;
  if (ct == "application/apply-patch+yaml" || ct == "application/apply-patch+cbor") {
    return PatchType::kApply;
  }
  return PatchType::kUnknown;
}

StatusOr<json> ApplyPatch(PatchType type, const json& current, std::string_view body) {
  json patch;
  if (type == PatchType::kApply) {
    ASSIGN_OR_RETURN(patch, ParseOneManifest(body));
  } else {
    patch = json::parse(body, nullptr, false);
    if (patch.is_discarded()) {
      return InvalidArgumentError("the patch body is not valid JSON; send a JSON document");
    }
  }
  switch (type) {
    case PatchType::kMerge:
    case PatchType::kApply: {
      if (!patch.is_object()) {
        return InvalidArgumentError("a merge patch must be a JSON object, got " +
                                    std::string(patch.type_name()));
      }
      json out = current;
      out.merge_patch(patch);
      return out;
    }
    case PatchType::kJson: {
      if (!patch.is_array()) {
        return InvalidArgumentError("a JSON patch must be an array of operations, got " +
                                    std::string(patch.type_name()));
      }
      try {
        return current.patch(patch);
      } catch (const json::exception& e) {
        return InvalidArgumentError(std::string("the JSON patch cannot be applied: ") + e.what());
      }
    }
    case PatchType::kStrategic:
      if (!patch.is_object()) {
        return InvalidArgumentError("a strategic merge patch must be a JSON object, got " +
                                    std::string(patch.type_name()));
      }
      return StrategicMerge(current, patch);
    case PatchType::kUnknown:
      break;
  }
  return InvalidArgumentError("unknown patch type");
}

}  // namespace ferry::api
