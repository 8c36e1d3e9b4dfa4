// Builds an InferenceService `.status` the way KServe writes it: url,
// address.url, conditions (IngressReady, PredictorReady, Ready with reasons
// and messages), components.predictor (url, revisions, traffic) and
// modelStatus (states, transitionStatus, lastFailureInfo, copies).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "controller/isvc_state.h"

namespace ferry::controller {

nlohmann::json BuildIsvcStatus(const IsvcState& state, const std::string& domain,
                               int64_t generation, const nlohmann::json& old_status);

}  // namespace ferry::controller
