// The predict paths of ModelRouter: V2 infer, V1 predict and explain, MLflow invocations.
#include <charconv>
#include <chrono>
#include <optional>

#include "protocol/content_type.h"
#include "protocol/mlflow_json.h"
#include "protocol/v1_json.h"
#include "protocol/v2_json.h"
#include "server/frame_alignment.h"
#include "server/model_router.h"
#include "server/router_call.h"
#include "serving/dispatch.h"
#include "serving/http_status.h"
#include "serving/infer.h"
#include "serving/payload_log.h"
#include "serving/predict_call.h"

namespace ferry::server {

using http::HttpRequest;
using http::HttpResponse;

using serving::HasMethod;
using serving::HttpStatusFor;
using serving::InlineCostRows;
using serving::ModelCatalog;
using serving::ModelEntry;
using serving::RequestDeadline;
using serving::RunsInline;
using serving::TimedPredict;

using protocol::Frame;
using protocol::Tensor;
using runtime::PredictMethod;

namespace {

// The V2 request, frame and response of an inline infer on this I/O thread, kept from one
// request to the next so their storage is reused: once warm, the common request decodes,
// frames and is answered with far fewer allocations. `busy` while one request uses it: an infer
// nested on the same thread (an inference graph's next step, started from inside this one's
// reply) uses fresh ones.
struct InferScratch {
  serving::PreparedInfer prepared;
  protocol::InferResponse response;
  HttpResponse http;  // after a reply: the listener's previous body storage, empty
  bool busy = false;
};

// What the scratch may keep between requests; a larger request's storage is let go after it.
constexpr size_t kKeepScratchBytes = 64 * 1024;

bool WorthKeeping(const InferScratch& s) {
  const serving::PreparedInfer& p = s.prepared;
  if (p.request.inputs.size() > 8 || s.response.outputs.size() > 8 ||
      !p.frame.strings.empty()) {
    return false;
  }
  size_t bytes = p.frame.numeric.capacity() * sizeof(double) + s.http.body.capacity();
  for (const auto* tensors : {&p.request.inputs, &s.response.outputs}) {
    for (const Tensor& t : *tensors) {
      if (!t.bytes.empty()) return false;
      bytes += t.raw.capacity();
    }
  }
  return bytes <= kKeepScratchBytes;
}

// The thread's scratch for one request, or a fresh one of its own when a call on this thread
// already holds it.
class ScratchUse {
 public:
  ScratchUse() {
    thread_local InferScratch scratch;
    if (!scratch.busy) {
      scratch_ = &scratch;
      scratch.busy = true;
    }
  }
  ~ScratchUse() {
    if (scratch_ == nullptr) return;
    if (!WorthKeeping(*scratch_)) {
      scratch_->prepared = serving::PreparedInfer();
      scratch_->response = protocol::InferResponse();
      scratch_->http = HttpResponse();
    }
    scratch_->busy = false;
  }
  ScratchUse(const ScratchUse&) = delete;
  ScratchUse& operator=(const ScratchUse&) = delete;
  serving::PreparedInfer& prepared() { return Use().prepared; }
  protocol::InferResponse& response() { return Use().response; }
  HttpResponse& http() { return Use().http; }

 private:
  InferScratch& Use() {
    if (scratch_ != nullptr) return *scratch_;
    if (!fresh_) fresh_.emplace();
    return *fresh_;
  }
  InferScratch* scratch_ = nullptr;
  std::optional<InferScratch> fresh_;
};

}  // namespace

// Inline or on the model's executor, within its containerConcurrency (serving/dispatch.h).
// The common case — inline, no containerConcurrency — answers here without wrapping `work`.
template <typename Work>
void ModelRouter::Dispatch(const std::shared_ptr<Call>& call, const ModelEntry& m, size_t rows,
                           Work&& work) {
  bool inline_ok = RunsInline(m, rows, options_.inline_threshold_us, options_.inline_max_rows);
  if (!m.limiter && (inline_ok || !m.executor)) return call->Reply(work());
  call->Keep();  // it may be answered after Handle returns, from another thread
  serving::Dispatch(
      m, inline_ok, [call, work = std::forward<Work>(work)]() mutable { call->Reply(work()); },
      [call](const Status& refused) { call->Error(refused); });
}

void ModelRouter::InferV2(const std::shared_ptr<Call>& call, const ModelEntry& m) {
  const HttpRequest& req = call->req();
  call->payload_log = serving::StartPayloadLog(m, req.headers, req.body);
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
  ScratchUse scratch;
  serving::PreparedInfer& prepared = scratch.prepared();
  Status parsed = protocol::ParseV2Request(json, tail, &prepared.request);
  if (!parsed.ok()) {
    const std::string& msg = parsed.message();
    // A V1 body on the V2 route: say which protocol and route to use.
    if (msg.rfind(protocol::kV1BodyOnV2Message, 0) == 0) {
      return call->Error(400, protocol::V1BodyOnV2Message(m.name));
    }
    return call->Error(400, msg);
  }
  if (Status s = serving::PrepareInfer(m, &prepared); !s.ok()) return call->Error(s);
  prepared.context = &call->context;
  size_t rows = InlineCostRows(prepared.method, prepared.rows);
  // The answer, into *resp and *r: each may hold this thread's previous one (every field is
  // written; their storage is reused).
  auto answer = [&m, deadline = RequestDeadline(m, req.received)](
                    const serving::PreparedInfer& p, protocol::InferResponse* resp,
                    HttpResponse* r) {
    r->headers.clear();
    if (r->content_type != "application/json") r->content_type.assign("application/json");
    if (Status s = serving::RunInfer(m, p, deadline, resp); !s.ok()) {
      r->status = HttpStatusFor(s.code());
      r->body = protocol::WriteJsonError(s.message());
      return;
    }
    const size_t json_size = protocol::WriteV2Response(*resp, p.request, &r->body);
    r->status = 200;
    if (json_size < r->body.size()) {
      r->content_type.assign("application/octet-stream");
      r->headers.emplace_back("Inference-Header-Content-Length", std::to_string(json_size));
    }
  };
  // Inline (the common case) the prepared request is used where it is, and the answer is
  // written from the scratch (the listener hands the last body's storage back); only a call
  // that waits for the executor or a concurrency slot takes the request along.
  if (!m.limiter && (!m.executor || RunsInline(m, rows, options_.inline_threshold_us,
                                               options_.inline_max_rows))) {
    HttpResponse& r = scratch.http();
    answer(prepared, &scratch.response(), &r);
    return call->ReplyFrom(r);
  }
  Dispatch(call, m, rows, [answer, p = std::move(prepared)]() {
    protocol::InferResponse resp;
    HttpResponse r;
    answer(p, &resp, &r);
    return r;
  });
}

void ModelRouter::PredictV1(const std::shared_ptr<Call>& call, const ModelEntry& m, bool explain) {
  call->payload_log = serving::StartPayloadLog(m, call->req().headers, call->req().body);
  const runtime::ModelInfo& info = m.served->model->info();
  if (explain && !HasMethod(info, PredictMethod::kContributions)) {
    return call->Error(501, runtime::ContributionsRefused(m.name, info).message());
  }
  StatusOr<Frame> frame = protocol::ParseV1Request(call->req().body);
  if (!frame.ok()) {
    const std::string& msg = frame.status().message();
    if (msg.rfind(protocol::kV2BodyOnV1Message, 0) == 0) {
      return call->Error(400, protocol::V2BodyOnV1Message(m.name));
    }
    return call->Error(400, msg);
  }
  StatusOr<Frame> aligned = AlignFrameToMetadata(std::move(frame).value(), m.served->metadata);
  if (!aligned.ok()) return call->Error(400, aligned.status().message());
  size_t rows = explain ? InlineCostRows(PredictMethod::kContributions, aligned->rows)
                        : aligned->rows;
  Dispatch(call, m, rows,
           [&m, explain, frame = std::move(aligned).value(),
            deadline = RequestDeadline(m, call->req().received)]() {
    auto failed = [](const Status& s) {
      return HttpResponse::Json(HttpStatusFor(s.code()), protocol::WriteJsonError(s.message()));
    };
    StatusOr<Tensor> pred = TimedPredict(m, frame, m.served->default_method, deadline);
    if (!pred.ok()) return failed(pred.status());
    if (!explain) return HttpResponse::Json(200, protocol::WriteV1Predictions(*pred));
    // :explain answers KServe's {"predictions", "explanations"}: the
    // contributions of each instance (docs/explanations.md).
    StatusOr<Tensor> phi = TimedPredict(m, frame, PredictMethod::kContributions, deadline);
    if (!phi.ok()) return failed(phi.status());
    return HttpResponse::Json(200, protocol::WriteV1Explanations(*pred, *phi));
  });
}

void ModelRouter::Invocations(const std::shared_ptr<Call>& call) {
  auto mlflow_error = [&](int status, std::string_view code, std::string_view msg) {
    call->Reply(HttpResponse::Json(status, protocol::WriteMlflowError(code, msg)));
  };
  if (call->req().method != "POST") return call->WrongMethod("POST");
  call->inference = true;
  const ModelCatalog& catalog = *call->catalog;
  if (catalog.models.size() != 1) {
    return mlflow_error(404, "RESOURCE_DOES_NOT_EXIST",
                        "/invocations needs exactly one served model; this server has " +
                            std::to_string(catalog.models.size()));
  }
  const ModelEntry* m = UsableModel(call, catalog.models[0]->name, false);
  if (m == nullptr) return;
  call->payload_log = serving::StartPayloadLog(*m, call->req().headers, call->req().body);
  std::string_view ct = call->req().Header("content-type");
  std::string_view base = ct.substr(0, ct.find(';'));
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  std::string_view params = ct.find(';') == std::string_view::npos ? "" : ct.substr(ct.find(';') + 1);
  while (!params.empty() && params.front() == ' ') params.remove_prefix(1);
  bool charset_ok = params.empty() || params == "charset=utf-8" || params == "charset=UTF-8";
  StatusOr<Frame> frame = InvalidArgumentError("");
  if (base == "application/json" && charset_ok) {
    protocol::Parameters ignored;
    frame = protocol::ParseMlflowJson(call->req().body, &ignored);
  } else if (base == "text/csv" && charset_ok) {
    frame = protocol::ParseMlflowCsv(call->req().body);
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
            deadline = RequestDeadline(*m, call->req().received)]() {
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
