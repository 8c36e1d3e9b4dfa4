#include "serving/infer.h"

#include <string>
#include <utility>
#include <variant>
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

// Whether `p` is exactly {"content_type": "np"}, MLServer's response parameters.
bool OnlyNumpyContentType(const protocol::Parameters& p) {
  if (p.size() != 1) return false;
  const auto& [key, value] = p.entries()[0];
  const std::string* s = std::get_if<std::string>(&value);
  return key == "content_type" && s != nullptr && *s == "np";
}

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
  PreparedInfer call;
  call.request = std::move(request);
  RETURN_IF_ERROR(PrepareInfer(m, &call));
  return call;
}

Status PrepareInfer(const ModelEntry& m, PreparedInfer* prepared) {
  const runtime::ServedModel& served = *m.served;
  PreparedInfer& call = *prepared;
  const protocol::InferRequest& request = call.request;
  call.method = served.default_method;
  call.by_method = false;
  call.context = nullptr;
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
    call.frame = protocol::Frame();
    call.rows = TensorRequestRows(request);
  } else {
    RETURN_IF_ERROR(protocol::RequestToFrame(request, served.metadata, &call.frame));
    call.rows = call.frame.rows;
  }
  return OkStatus();
}

StatusOr<protocol::InferResponse> RunInfer(const ModelEntry& m, const PreparedInfer& call,
                                           DeadlineClock::time_point deadline) {
  protocol::InferResponse resp;
  RETURN_IF_ERROR(RunInfer(m, call, deadline, &resp));
  return resp;
}

Status RunInfer(const ModelEntry& m, const PreparedInfer& call, DeadlineClock::time_point deadline,
                protocol::InferResponse* resp) {
  const runtime::ServedModel& served = *m.served;
  const protocol::InferRequest& request = call.request;
  std::vector<protocol::Tensor>& outputs = resp->outputs;
  if (served.model->info().tensor_io) {
    ASSIGN_OR_RETURN(outputs, TimedPredictTensors(m, request, call.method, deadline));
  } else {
    StatusOr<protocol::Tensor> pred = TimedPredict(m, call.frame, call.method, deadline);
    if (!pred.ok()) return pred.status();
    RETURN_IF_ERROR(protocol::PredictionToOutputs(std::move(*pred), served.output_style,
                                                  served.metadata, &outputs));
  }
  if (call.by_method) {
    // A requested method name becomes the output's name.
    if (request.outputs.size() == 1 && outputs.size() == 1) {
      outputs[0].name = request.outputs[0].name;
    }
  } else if (Status s = protocol::SelectOutputs(request, &outputs); !s.ok()) {
    return Status(s.code(), "model " + m.name + ": " + s.message());
  }
  resp->model_name.assign(m.name);
  resp->model_version.clear();
  if (request.id) {
    resp->id.assign(*request.id);
  } else {
    resp->id.resize(36);
    WriteUuid4(resp->id.data());
  }
  if (served.output_style != protocol::OutputStyle::kMlserver) {
    resp->parameters.Clear();
  } else if (!OnlyNumpyContentType(resp->parameters)) {  // else the last response's, as wanted
    resp->parameters.Clear();
    resp->parameters.Set("content_type", std::string("np"));
  }
  return OkStatus();
}

}  // namespace ferry::serving
