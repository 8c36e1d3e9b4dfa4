// Schema enforcement for row-shaped inputs (KServe V1 `instances`, MLflow
// `/invocations`), as MLflow's scoring server does it: named columns are
// reordered to the signature's order, extra columns ignored, missing ones
// refused; unnamed rows must have the signature's width.
#pragma once

#include "common/status.h"
#include "protocol/frame.h"
#include "protocol/infer.h"

namespace ferry::server {

StatusOr<protocol::Frame> AlignFrameToMetadata(protocol::Frame frame,
                                               const protocol::ModelMetadata& md);

}  // namespace ferry::server
