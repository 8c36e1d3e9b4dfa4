// YAML text → JSON documents, built straight from yaml-cpp's parse events
// (no YAML::Node tree), with the limits an API server needs against hostile
// input: nesting depth, total values including alias expansions (a "billion
// laughs" document is refused before it is expanded), and a bound on the
// documents a text can hold (yaml-cpp 0.7 can report endless empty documents
// for some malformed texts). Private to src/api (manifest.cc); yaml-cpp stays
// inside yaml_json.cc. Pure function, any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ferry::api {

struct YamlLimits {
  int max_depth = 200;
  // Values (scalars, sequences, maps) across all documents, aliases counted
  // at their expanded size; 0 = max(100000, 4 × the text's size).
  size_t max_values = 0;
};

// Every document whose root is not null, in order. Plain scalars follow the
// YAML 1.2 core schema (null, booleans, integers, floats); quoted or tagged
// ones stay strings; mapping keys are their scalar text. Errors name the
// document and line.
StatusOr<std::vector<nlohmann::json>> YamlToJson(std::string_view text,
                                                 const YamlLimits& limits = {});

}  // namespace ferry::api
