// The predict paths of ModelRouter: V2 infer, V1 predict, MLflow invocations.
#include <algorithm>
#include <charconv>
#include <chrono>

#include "protocol/content_type.h"
#include "protocol/mlflow_json.h"
#include "protocol/v1_json.h"
#include "protocol/v2_json.h"
#include "server/frame_alignment.h"
#include "server/http_status.h"
#include "server/model_router.h"
#include "server/predict_call.h"
#include "server/router_call.h"

namespace ferry::server {

using protocol::Frame;
using protocol::InferRequest;
using protocol::Tensor;
using runtime::PredictMethod;

namespace {

bool HasMethod(const runtime::ModelInfo& info, PredictMethod m) {
  for (auto x : info.methods) {
    if (x == m) return true;
  }
  return m == PredictMethod::kPredict;
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

template <typename Work>
void ModelRouter::Dispatch(const std::shared_ptr<Call>& call, const ModelEntry& m, size_t rows,
                           Work&& work) {
  bool inline_ok = RunsInline(m, rows, options_.inline_threshold_us, options_.inline_max_rows);
  if (inline_ok || !m.executor) {
    call->Reply(work());
    return;
  }
  auto task = std::make_shared<std::decay_t<Work>>(std::forward<Work>(work));
  bool queued = m.executor->Submit([call, task] { call->Reply((*task)()); });
  if (!queued) {
    call->Error(503, "model " + m.name + " is overloaded: its request queue is full; retry later");
  }
}

void ModelRouter::InferV2(const std::shared_ptr<Call>& call, const ModelEntry& m) {
  const HttpRequest& req = call->req;
  std::string_view body = req.body;
  std::string_view json = body, tail;
  std::string_view header_len = req.Header("inference-header-content-length");
  if (!header_len.empty()) {
    size_t n = 0;
    auto [p, ec] = std::from_chars(header_len.data(), header_len.data() + header_len.size(), n);
    if (ec != std::errc() || p != header_len.data() + header_len.size() || n > body.size()) {
      return call->Error(400, "Inference-Header-Content-Length is " + std::string(header_len) +
                                  " but the body has " + std::to_string(body.size()) + " bytes");
    }
    json = body.substr(0, n);
    tail = body.substr(n);
  }
  StatusOr<InferRequest> parsed = protocol::ParseV2Request(json, tail);
  if (!parsed.ok()) {
    const std::string& msg = parsed.status().message();
    // A V1 body on the V2 route: say which protocol and route to use.
    if (msg.rfind(protocol::kV1BodyOnV2Message, 0) == 0) {
      return call->Error(400, protocol::V1BodyOnV2Message(m.name));
    }
    return call->Error(400, msg);
  }
  InferRequest request = std::move(parsed).value();

  const runtime::ServedModel& served = *m.served;
  PredictMethod method = served.default_method;
  for (const auto& out : request.outputs) {
    if (auto pm = runtime::ParsePredictMethod(out.name)) {
      if (!HasMethod(served.model->info(), *pm)) {
        return call->Error(400, "model " + m.name + " has no method " + out.name +
                                    "; it supports: " + MethodList(served.model->info()));
      }
      method = *pm;
    }
  }
  if (served.model->info().tensor_io) {
    return InferTensors(call, m, std::move(request), method);
  }
  StatusOr<Frame> frame = protocol::RequestToFrame(request, served.metadata);
  if (!frame.ok()) return call->Error(400, frame.status().message());
  size_t rows = frame->rows;
  Dispatch(call, m, rows,
           [&m, method, request = std::move(request), frame = std::move(frame).value(),
            deadline = RequestDeadline(m, req.received)]() mutable {
             StatusOr<Tensor> pred = TimedPredict(m, frame, method, deadline);
             if (!pred.ok()) {
               return HttpResponse::Json(HttpStatusFor(pred.status().code()),
                                         protocol::WriteJsonError(pred.status().message()));
             }
             const runtime::ServedModel& served = *m.served;
             auto outputs = protocol::PredictionToOutputs(std::move(pred).value(),
                                                          served.output_style, served.metadata);
             if (!outputs.ok()) {
               return HttpResponse::Json(HttpStatusFor(outputs.status().code()),
                                         protocol::WriteJsonError(outputs.status().message()));
             }
             protocol::InferResponse resp;
             resp.model_name = m.name;
             resp.id = request.id ? *request.id : Uuid4();
             resp.outputs = std::move(outputs).value();
             // A requested method name becomes the output's name.
             if (request.outputs.size() == 1 && resp.outputs.size() == 1 &&
                 runtime::ParsePredictMethod(request.outputs[0].name)) {
               resp.outputs[0].name = request.outputs[0].name;
             }
             if (served.output_style == protocol::OutputStyle::kMlserver) {
               resp.parameters.Set("content_type", std::string("np"));
             }
             protocol::V2Encoded enc = protocol::WriteV2Response(resp, request);
             HttpResponse r;
             r.status = 200;
             if (enc.json_size < enc.body.size()) {
               r.content_type = "application/octet-stream";
               r.headers.emplace_back("Inference-Header-Content-Length",
                                      std::to_string(enc.json_size));
             }
             r.body = std::move(enc.body);
             return r;
           });
}

// Tensor-native models (PyTorch): the request's tensors go to the model as
// they are; every output it returns (or those the request names) is answered.
void ModelRouter::InferTensors(const std::shared_ptr<Call>& call, const ModelEntry& m,
                               InferRequest request, PredictMethod method) {
  size_t rows = 1;
  if (!request.inputs.empty() && !request.inputs[0].shape.empty()) {
    rows = static_cast<size_t>(std::max<int64_t>(request.inputs[0].shape[0], 0));
  }
  Dispatch(call, m, rows,
           [&m, method, request = std::move(request),
            deadline = RequestDeadline(m, call->req.received)]() {
             auto outputs = TimedPredictTensors(m, request, method, deadline);
             if (!outputs.ok()) {
               return HttpResponse::Json(HttpStatusFor(outputs.status().code()),
                                         protocol::WriteJsonError(outputs.status().message()));
             }
             protocol::InferResponse resp;
             resp.model_name = m.name;
             resp.id = request.id ? *request.id : Uuid4();
             resp.outputs = std::move(outputs).value();
             protocol::V2Encoded enc = protocol::WriteV2Response(resp, request);
             HttpResponse r;
             r.status = 200;
             if (enc.json_size < enc.body.size()) {
               r.content_type = "application/octet-stream";
               r.headers.emplace_back("Inference-Header-Content-Length",
                                      std::to_string(enc.json_size));
             }
             r.body = std::move(enc.body);
             return r;
           });
}

void ModelRouter::PredictV1(const std::shared_ptr<Call>& call, const ModelEntry& m) {
  StatusOr<Frame> frame = protocol::ParseV1Request(call->req.body);
  if (!frame.ok()) {
    const std::string& msg = frame.status().message();
    if (msg.rfind(protocol::kV2BodyOnV1Message, 0) == 0) {
      return call->Error(400, protocol::V2BodyOnV1Message(m.name));
    }
    return call->Error(400, msg);
  }
  StatusOr<Frame> aligned = AlignFrameToMetadata(std::move(frame).value(), m.served->metadata);
  if (!aligned.ok()) return call->Error(400, aligned.status().message());
  size_t rows = aligned->rows;
  Dispatch(call, m, rows,
           [&m, frame = std::move(aligned).value(),
            deadline = RequestDeadline(m, call->req.received)]() {
    StatusOr<Tensor> pred = TimedPredict(m, frame, m.served->default_method, deadline);
    if (!pred.ok()) {
      return HttpResponse::Json(HttpStatusFor(pred.status().code()),
                                protocol::WriteJsonError(pred.status().message()));
    }
    return HttpResponse::Json(200, protocol::WriteV1Predictions(*pred));
  });
}

void ModelRouter::Invocations(const std::shared_ptr<Call>& call) {
  auto mlflow_error = [&](int status, std::string_view code, std::string_view msg) {
    call->Reply(HttpResponse::Json(status, protocol::WriteMlflowError(code, msg)));
  };
  if (call->req.method != "POST") return call->WrongMethod("POST");
  const ModelCatalog& catalog = *call->catalog;
  if (catalog.models.size() != 1) {
    return mlflow_error(404, "RESOURCE_DOES_NOT_EXIST",
                        "/invocations needs exactly one served model; this server has " +
                            std::to_string(catalog.models.size()));
  }
  const ModelEntry* m = UsableModel(call, catalog.models[0]->name, false);
  if (m == nullptr) return;
  std::string_view ct = call->req.Header("content-type");
  std::string_view base = ct.substr(0, ct.find(';'));
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  std::string_view params = ct.find(';') == std::string_view::npos ? "" : ct.substr(ct.find(';') + 1);
  while (!params.empty() && params.front() == ' ') params.remove_prefix(1);
  bool charset_ok = params.empty() || params == "charset=utf-8" || params == "charset=UTF-8";
  StatusOr<Frame> frame = InvalidArgumentError("");
  if (base == "application/json" && charset_ok) {
    protocol::Parameters ignored;
    frame = protocol::ParseMlflowJson(call->req.body, &ignored);
  } else if (base == "text/csv" && charset_ok) {
    frame = protocol::ParseMlflowCsv(call->req.body);
  } else {
    HttpResponse r = HttpResponse::Text(
        415, "This predictor only supports the following content types: Types: "
             "['text/csv', 'application/json']. Got '" + std::string(ct) + "'.");
    return call->Reply(std::move(r));
  }
  if (!frame.ok()) return mlflow_error(400, "BAD_REQUEST", frame.status().message());
  StatusOr<Frame> aligned = AlignFrameToMetadata(std::move(frame).value(), m->served->metadata);
  if (!aligned.ok()) return mlflow_error(400, "BAD_REQUEST", aligned.status().message());
  size_t rows = aligned->rows;
  Dispatch(call, *m, rows,
           [m, frame = std::move(aligned).value(),
            deadline = RequestDeadline(*m, call->req.received)]() {
    StatusOr<Tensor> pred = TimedPredict(*m, frame, m->served->default_method, deadline);
    if (!pred.ok()) {
      int status = HttpStatusFor(pred.status().code());
      return HttpResponse::Json(status, protocol::WriteMlflowError(
                                            status < 500 ? "BAD_REQUEST" : "INTERNAL_ERROR",
                                            pred.status().message()));
    }
    return HttpResponse::Json(200, protocol::WriteMlflowPredictions(*pred));
  });
}

}  // namespace ferry::server
