#include "serving/infer.h"

#include <string>
#include <utility>
#include <vector>

#include "protocol/content_type.h"
#include "serving/predict_call.h"

namespace ferry::serving {

using runtime::PredictMethod;

bool HasMethod(const runtime::ModelInfo& info, PredictMethod m) {
  for (auto x : info.methods) {
    if (x == m) return true;
  }
  return m == PredictMethod::kPredict;
}

namespace {

std::string MethodList(const runtime::ModelInfo& info) {
  std::string out;
  for (auto x : info.methods) {
    if (!out.empty()) out += ", ";
    out += runtime::PredictMethodName(x);
  }
  return out.empty() ? "predict" : out;
}

}  // namespace

StatusOr<PreparedInfer> PrepareInfer(const ModelEntry& m, protocol::InferRequest&& request) {
  const runtime::ServedModel& served = *m.served;
  PreparedInfer call;
  call.method = served.default_method;
  for (const auto& out : request.outputs) {
    if (auto pm = runtime::ParsePredictMethod(out.name)) {
      if (!HasMethod(served.model->info(), *pm)) {
        if (*pm == PredictMethod::kContributions) {
          return runtime::ContributionsRefused(m.name, served.model->info());
        }
        return InvalidArgumentError("model " + m.name + " has no method " + out.name +
                                    "; it supports: " + MethodList(served.model->info()));
      }
      call.method = *pm;
      call.by_method = true;
    }
  }
  if (served.model->info().tensor_io) {
    call.rows = TensorRequestRows(request);
  } else {
    ASSIGN_OR_RETURN(call.frame, protocol::RequestToFrame(request, served.metadata));
    call.rows = call.frame.rows;
  }
  call.request = std::move(request);
  return call;
}

StatusOr<protocol::InferResponse> RunInfer(const ModelEntry& m, const PreparedInfer& call,
                                           DeadlineClock::time_point deadline) {
  const runtime::ServedModel& served = *m.served;
  const protocol::InferRequest& request = call.request;
  std::vector<protocol::Tensor> outputs;
  if (served.model->info().tensor_io) {
    ASSIGN_OR_RETURN(outputs, TimedPredictTensors(m, request, call.method, deadline));
  } else {
    ASSIGN_OR_RETURN(protocol::Tensor pred, TimedPredict(m, call.frame, call.method, deadline));
    ASSIGN_OR_RETURN(outputs, protocol::PredictionToOutputs(std::move(pred), served.output_style,
                                                            served.metadata));
  }
  if (call.by_method) {
    // A requested method name becomes the output's name.
    if (request.outputs.size() == 1 && outputs.size() == 1) {
      outputs[0].name = request.outputs[0].name;
    }
  } else if (Status s = protocol::SelectOutputs(request, &outputs); !s.ok()) {
    return Status(s.code(), "model " + m.name + ": " + s.message());
  }
  protocol::InferResponse resp;
  resp.model_name = m.name;
  resp.id = request.id ? *request.id : Uuid4();
  resp.outputs = std::move(outputs);
  if (served.output_style == protocol::OutputStyle::kMlserver) {
    resp.parameters.Set("content_type", std::string("np"));
  }
  return resp;
}

}  // namespace ferry::serving
