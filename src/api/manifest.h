// Manifest parsing: JSON or YAML (one or many documents) into JSON objects,
// the way kubectl reads -f files and the API server reads apply-patch bodies.
// yaml-cpp stays inside manifest.cc. Pure functions, any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ferry::api {

// Every non-empty document, in order. Errors name the document and line.
StatusOr<std::vector<nlohmann::json>> ParseManifests(std::string_view text);
// Exactly one document (JSON tried first, then YAML).
StatusOr<nlohmann::json> ParseOneManifest(std::string_view text);

}  // namespace ferry::api
