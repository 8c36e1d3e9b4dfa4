// KServe V1 REST codec: {"instances": [...]} (or {"inputs": [...]}) → Frame,
// prediction → {"predictions": [...]}. Reference: kserve-protocol.md §2.
//
// Called by the HTTP server for POST /v1/models/{name}:predict. Reading is
// pandas/numpy-like, as KServe's sklearnserver does: rows of numbers →
// numeric columns; a column with any string → string column; a list of
// objects → named columns (union of keys, absent keys missing); a list of
// scalars → N rows × 1 column. Thread-safe; results own their data.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "protocol/frame.h"
#include "protocol/tensor.h"

namespace ferry::protocol {

// Errors are InvalidArgument, e.g. `Expected "instances" to be a list`. A V2
// body fails with a message starting with kV2BodyOnV1Message that contains
// the literal "<name>" for the caller to replace (see V2BodyOnV1Message()).
StatusOr<Frame> ParseV1Request(std::string_view json);

// True for {"inputs": [{"name": ..., "datatype"/"shape": ...}, ...]}.
bool LooksLikeV2Body(std::string_view json);
inline constexpr std::string_view kV2BodyOnV1Message =
    "this is a V2 (Open Inference Protocol) request";
std::string V2BodyOnV1Message(std::string_view model_name);

// {"predictions": [...]}: [N] → flat list, [N, k] → list of rows; NaN → null.
std::string WriteV1Predictions(const Tensor& prediction);

// The `:explain` answer, KServe V1's documented shape:
// {"predictions": [...], "explanations": [...]}, one explanation per instance
// (a nested list in the contributions tensor's layout).
std::string WriteV1Explanations(const Tensor& prediction, const Tensor& explanations);

}  // namespace ferry::protocol
