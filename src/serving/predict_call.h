// Pieces of a predict call shared by the REST routes (infer_handlers.cc) and
// the V2 gRPC service (src/grpc): the timed predict whose moving average
// decides inline vs executor, that decision, and response ids.
// Thread-safe: ModelEntry's average is an atomic.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/deadline.h"
#include "common/status.h"
#include "protocol/frame.h"
#include "protocol/infer.h"
#include "protocol/tensor.h"
#include "runtime/model.h"
#include "serving/model_catalog.h"

namespace ferry::serving {

// Defaults of ModelRouterOptions::inline_threshold_us / inline_max_rows.
inline constexpr double kInlineThresholdUs = 250;
inline constexpr size_t kInlineMaxRows = 256;

// The deadline of a request for `m` that arrived at `received` (m.timeout
// later), or kNoDeadline.
DeadlineClock::time_point RequestDeadline(const ModelEntry& m, DeadlineClock::time_point received);

// Runs the model under `deadline` and folds its time into m.ewma_predict_us
// (not for contributions).
// A request already past its deadline (it waited in the queue) is not run; a
// predict that passes it stops at its next chunk (common/deadline.h). Both
// answer DEADLINE_EXCEEDED (504) naming the model and its timeout. An
// exception out of the model becomes INTERNAL (500): the server lives on.
StatusOr<protocol::Tensor> TimedPredict(const ModelEntry& m, const protocol::Frame& frame,
                                        runtime::PredictMethod method,
                                        DeadlineClock::time_point deadline = kNoDeadline);

// The same for tensor-native models (ModelInfo::tensor_io): the request's tensors go to
// Model::PredictTensors as they are; every output the model returns comes back, in its order.
StatusOr<std::vector<protocol::Tensor>> TimedPredictTensors(
    const ModelEntry& m, const protocol::InferRequest& request, runtime::PredictMethod method,
    DeadlineClock::time_point deadline = kNoDeadline);

// Rows of a tensor request: the first input's first dimension (1 for none or a scalar).
size_t TensorRequestRows(const protocol::InferRequest& request);

// Whether a call of `rows` rows runs on the I/O (or completion-queue) thread:
// small batches of models whose recent predicts were fast. A slow predict
// there would hold up every request queued behind it, health checks included.
bool RunsInline(const ModelEntry& m, size_t rows, double threshold_us = kInlineThresholdUs,
                size_t max_rows = kInlineMaxRows);

// The rows to pass RunsInline for a call of `method`: contributions (TreeSHAP
// costs up to a millisecond per row) never run on an I/O thread.
size_t InlineCostRows(runtime::PredictMethod method, size_t rows);

// A random (version 4) UUID for responses whose request carried no id,
// hex-formatted by hand: snprintf was a visible share of a one-row predict.
std::string Uuid4();

}  // namespace ferry::serving
