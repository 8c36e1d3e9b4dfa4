// Server-side field validation (?fieldValidation=Strict|Warn|Ignore): finds
// fields a kind's schema does not know, removes them, and reports them the way
// the real apiserver words them. Internal to ferry_api.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::api {

struct KindInfo;

enum class FieldValidation { kStrict, kWarn, kIgnore };

// Unknown/Missing → Warn (the apiserver default).
FieldValidation ParseFieldValidation(std::string_view value);

// Removes fields unknown to `kind`'s schema from `obj`; returns their paths
// ("spec.predictorr", "spec.containers[0].foo").
std::vector<std::string> PruneUnknownFields(const KindInfo& kind, nlohmann::json& obj);

}  // namespace ferry::api
