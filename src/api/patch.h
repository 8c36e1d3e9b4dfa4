// Patch appliers for the four Kubernetes patch content types: JSON merge patch
// (RFC 7386), JSON patch (RFC 6902), strategic merge patch (core kinds, lists
// merged by their patchMergeKey; $patch, $setElementOrder, $retainKeys and
// $deleteFromPrimitiveList directives honoured) and apply patch (treated as a
// merge). Pure functions; internal to ferry_api; also the fuzz target's entry.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ferry::api {

enum class PatchType { kMerge, kJson, kStrategic, kApply, kUnknown };

PatchType PatchTypeFromContentType(std::string_view content_type);

// Applies `patch` (the request body) to `current`. InvalidArgument names the
// patch problem (bad JSON, failed "test", path not found, ...).
StatusOr<nlohmann::json> ApplyPatch(PatchType type, const nlohmann::json& current,
                                    std::string_view patch);

// Strategic merge of an already-parsed patch.
nlohmann::json StrategicMerge(const nlohmann::json& original, const nlohmann::json& patch);

}  // namespace ferry::api
