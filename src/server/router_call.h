// ModelRouter::Call: the state of one request while it is routed and
// answered, possibly from an executor thread. Private to model_router*.cc.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "protocol/v2_json.h"
#include "server/model_router.h"
#include "serving/http_status.h"
#include "serving/payload_log.h"
#include "serving/request_context.h"

namespace ferry::server {

struct ModelRouter::Call {
  http::HttpRequest req;
  http::Responder responder;
  std::shared_ptr<const serving::ModelCatalog> catalog;
  serving::Metrics::ModelCounters* counters = nullptr;
  serving::Protocol protocol = serving::Protocol::kOther;
  // An inference request (V2 infer, V1 predict/explain, MLflow invocations):
  // counted in the model's TrafficSeries too; metadata and readiness are not.
  bool inference = false;
  AccessLog* access_log = nullptr;
  const ModelRouter::ErrorSink* error_sink = nullptr;  // the router's; may be empty
  // Set for an inference call of a model with spec.predictor.logger; Reply logs the answer.
  std::shared_ptr<serving::PayloadLog> payload_log;
  // x-request-id and trace context (serving/request_context.h): answered in
  // every response, logged, and handed to the serving core (PreparedInfer::context).
  serving::RequestContext context;

  Call(http::HttpRequest&& r, http::Responder&& resp) : req(std::move(r)), responder(std::move(resp)) {}

  // Back to the state of a new call, holding nothing (no connection, catalog snapshot or
  // payload log), for reuse by the next request (ModelRouter::Handle). `req` is the caller's:
  // moved from, or moved back to the listener.
  void Empty() {
    responder = http::Responder(nullptr);
    catalog.reset();
    counters = nullptr;
    protocol = serving::Protocol::kOther;
    inference = false;
    access_log = nullptr;
    error_sink = nullptr;
    payload_log.reset();
  }

  void Reply(http::HttpResponse response) { ReplyFrom(response); }
  // Reply, leaving `response` the caller's to reuse (http::ResponseSink::SendFrom).
  void ReplyFrom(http::HttpResponse& response) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - req.received).count();
    serving::Metrics::Record(counters, protocol, response.status, seconds);
    if (inference && counters != nullptr) counters->series.Record(response.status, seconds);
    if (access_log != nullptr) {
      access_log->Log(req.remote_address, req.method, req.target, response.status,
                      response.body.size(), seconds, context.request_id(), context.traceparent());
    }
    if (response.status >= 400 && counters != nullptr && error_sink != nullptr && *error_sink) {
      (*error_sink)(counters->model, response.status, response.body, context);
    }
    if (payload_log) serving::FinishPayloadLog(payload_log, response.status, response.body);
    response.headers.emplace_back(serving::kRequestIdHeader, context.request_id());
    responder.SendFrom(response);
  }
  void Error(int status, std::string_view message) {
    Reply(http::HttpResponse::Json(status, protocol::WriteJsonError(message)));
  }
  void Error(const Status& s) { Error(serving::HttpStatusFor(s.code()), s.message()); }
  // 405 with an Allow header and a message that says what to send instead.
  void WrongMethod(std::string_view allowed) {
    http::HttpResponse r = http::HttpResponse::Json(
        405, protocol::WriteJsonError("method " + req.method + " is not allowed on " + std::string(req.path) +
                            "; use " + std::string(allowed)));
    r.headers.emplace_back("Allow", std::string(allowed));
    Reply(std::move(r));
  }
};

}  // namespace ferry::server
