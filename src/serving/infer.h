// The Open Inference Protocol (V2) infer call, once for every transport: the REST route
// (server/infer_handlers.cc) and the gRPC service (grpc/inference_service.cc) decode their wire
// form into a protocol::InferRequest, then call PrepareInfer on their I/O thread and RunInfer
// inline or on the model's executor (RunsInline decides), and encode what comes back. What a
// request means — which estimator method runs, which outputs come back, which error and status
// code a bad request gets — is decided here only, so the protocols cannot drift apart.
//
// Threads: both functions are thread-safe (ModelEntry is immutable but for its atomics). The
// caller keeps `m` (its catalog snapshot) alive until RunInfer returns.
#pragma once

#include <cstddef>

#include "common/deadline.h"
#include "common/status.h"
#include "protocol/frame.h"
#include "protocol/infer.h"
#include "runtime/model.h"
#include "serving/model_catalog.h"
#include "serving/request_context.h"

namespace ferry::serving {

// A V2 request checked against its model: what the predict runs on.
struct PreparedInfer {
  protocol::InferRequest request;
  // The inputs as one frame; empty for tensor-native models (ModelInfo::tensor_io, PyTorch),
  // whose request tensors go to Model::PredictTensors as they are.
  protocol::Frame frame;
  // Rows of the call (the frame's, or the first input tensor's first dimension): what
  // RunsInline weighs.
  size_t rows = 0;
  runtime::PredictMethod method = runtime::PredictMethod::kPredict;
  // An output named after an estimator method ("predict_proba") chose the method; it then names
  // the single output instead of selecting among the model's outputs.
  bool by_method = false;
  // Who the request is (x-request-id, traceparent; request_context.h), for whatever acts for it
  // downstream (payload-logger events, graph steps). Owned by the transport's call object, which
  // outlives RunInfer; null only in tests.
  const RequestContext* context = nullptr;
};

// Whether the model answers `method` (every model answers predict).
bool HasMethod(const runtime::ModelInfo& info, runtime::PredictMethod method);

// Chooses the method (an output named after one the model has) and builds the frame from the
// inputs (not for tensor-native models: their tensors are checked by the model itself). Errors are InvalidArgument (400) naming the model or the input and the fix, or
// Unimplemented (501) for contributions of a model that cannot explain.
StatusOr<PreparedInfer> PrepareInfer(const ModelEntry& m, protocol::InferRequest&& request);
// The same in place, for `call->request` as decoded: every other field is written (context
// null), the frame into the storage it already has (a PreparedInfer reused across requests).
Status PrepareInfer(const ModelEntry& m, PreparedInfer* call);

// Predicts under `deadline` (TimedPredict / TimedPredictTensors: 504 past it, 500 for an
// exception in the model), turns the prediction into outputs (a tensor-native model's outputs
// as it returns them), keeps the requested ones (an unknown name is InvalidArgument
// naming the output and the model, as Triton refuses it) and fills the response (id, model name,
// MLServer's content type).
StatusOr<protocol::InferResponse> RunInfer(const ModelEntry& m, const PreparedInfer& call,
                                           DeadlineClock::time_point deadline);
// The same into *resp, which may hold an earlier response (its storage is reused); every field
// is written. On error *resp is unspecified.
Status RunInfer(const ModelEntry& m, const PreparedInfer& call, DeadlineClock::time_point deadline,
                protocol::InferResponse* resp);

}  // namespace ferry::serving
