// Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` asks for
// (Accept ...;as=Table), with the kind's columns, server-formatted Age and a
// PartialObjectMetadata per row. Internal to ferry_api; pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

namespace ferry::api {

struct KindInfo;

// True when the Accept header asks for a Table.
bool WantsTable(std::string_view accept);

// `objects` are full objects; include_object: "Object" puts the whole object in
// each row, anything else PartialObjectMetadata.
nlohmann::json BuildTable(const KindInfo& kind, const std::vector<nlohmann::json>& objects,
                          std::string_view resource_version, std::string_view include_object);

}  // namespace ferry::api
