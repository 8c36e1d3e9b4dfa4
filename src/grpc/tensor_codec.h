// Conversions between the generated protobuf messages of
// grpc_predict_v2.proto and Ferry's protocol types (protocol/infer.h), with
// the Open Inference Protocol's rules: typed `contents` per datatype
// (INT8/16/32 in int_contents, UINT8/16/32 in uint_contents, FP16/BF16 only
// raw) or `raw_input_contents` (one entry per input, in order, row-major, no
// tensor may then set contents; BYTES raw as 4-byte little-endian length +
// bytes per element). Internal to ferry_grpc (and its tests). Pure functions.
#pragma once

#include "common/status.h"
#include "grpc_predict_v2.pb.h"
#include "protocol/infer.h"

namespace ferry::grpc {

// The request's tensors, parameters and requested outputs. InvalidArgument,
// naming the tensor and the fix, for contents that do not match datatype/shape.
StatusOr<protocol::InferRequest> FromProto(const inference::ModelInferRequest& req);

// Fills `out->outputs` (and raw_output_contents when `raw`), parameters,
// name, version and id from `resp`. Outputs that only raw can carry
// (FP16/BF16) force raw for the whole response, as the protocol requires.
void ToProto(const protocol::InferResponse& resp, bool raw, inference::ModelInferResponse* out);

void ToProto(const protocol::ModelMetadata& md, inference::ModelMetadataResponse* out);

}  // namespace ferry::grpc
