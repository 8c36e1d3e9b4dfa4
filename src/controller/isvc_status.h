// Builds an InferenceService `.status` the way KServe writes it: url,
// address.url, conditions (IngressReady, PredictorReady, Ready with reasons
// and messages), components.predictor (url, revisions, traffic) and
// modelStatus (states, transitionStatus, lastFailureInfo, copies).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "controller/isvc_state.h"

namespace ferry::controller {

nlohmann::json BuildIsvcStatus(const IsvcState& state, const std::string& domain,
                               int64_t generation, const nlohmann::json& old_status);

// RFC 3339 UTC, second precision ("2026-11-27T14:00:00Z").
std::string NowRfc3339();

}  // namespace ferry::controller
