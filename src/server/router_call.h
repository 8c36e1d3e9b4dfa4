// ModelRouter::Call: the state of one request while it is routed and
// answered, possibly from an executor thread. Private to model_router*.cc.
#pragma once

#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "protocol/v2_json.h"
#include "server/model_router.h"
#include "serving/http_status.h"
#include "serving/payload_log.h"
#include "serving/request_context.h"

namespace ferry::server {

struct ModelRouter::Call {
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

  // A call that owns its request (moved from `r`).
  Call(http::HttpRequest&& r, http::Responder&& resp)
      : responder(std::move(resp)), owned_(std::move(r)), req_(&owned_) {}
  // A call for ModelRouter::Handle, which lends it the listener's request (Lend).
  Call() : responder(nullptr) {}
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  const http::HttpRequest& req() const { return *req_; }

  // Borrows `*r`, the listener's request, valid and untouched while Handle runs: an answer given
  // there (the common inline predict) copies nothing of it.
  void Lend(http::HttpRequest* r) { req_ = r; }
  // Owns `r` (moved from): ModelRouter::HandleWith.
  void Own(http::HttpRequest&& r) {
    owned_ = std::move(r);
    req_ = &owned_;
  }
  // Called before the call is handed to anything that may answer after Handle returns or on
  // another thread (an executor, a concurrency slot, the activator, a repository load): a
  // borrowed request becomes the call's own. Its body is moved (what was decoded from it owns its
  // bytes); the rest is copied, so views into the listener's target taken while routing stay
  // valid. The listener's request keeps all but its body.
  void Keep() {
    if (req_ == &owned_) return;
    std::string body = std::move(req_->body);
    owned_ = *req_;  // copied with path and query re-pointed into its own target
    owned_.body = std::move(body);
    req_ = &owned_;
  }

  // Back to the state of a new call, holding nothing (no connection, request, catalog snapshot
  // or payload log), for reuse by the next request (ModelRouter::Handle).
  void Empty() {
    responder = http::Responder(nullptr);
    catalog.reset();
    counters = nullptr;
    protocol = serving::Protocol::kOther;
    inference = false;
    access_log = nullptr;
    error_sink = nullptr;
    payload_log.reset();
    if (req_ == &owned_) owned_ = http::HttpRequest();
    req_ = &owned_;
  }

  void Reply(http::HttpResponse response) { ReplyFrom(response); }
  // Reply, leaving `response` the caller's to reuse (http::ResponseSink::SendFrom).
  void ReplyFrom(http::HttpResponse& response) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - req().received).count();
    serving::Metrics::Record(counters, protocol, response.status, seconds);
    if (inference && counters != nullptr) counters->series.Record(response.status, seconds);
    if (access_log != nullptr) {
      access_log->Log(req().remote_address, req().method, req().target, response.status,
                      response.body.size(), seconds, context.request_id(), context.traceparent());
    }
    if (response.status >= 400 && counters != nullptr && error_sink != nullptr && *error_sink) {
      (*error_sink)(counters->model, response.status, response.body, context);
    }
    if (payload_log) serving::FinishPayloadLog(payload_log, response.status, response.body);
    const std::string_view id = context.request_id();
    id_value_.resize(id.size());  // the last reply's id already has this size
    std::memcpy(id_value_.data(), id.data(), id.size());
    response.headers.emplace_back(std::piecewise_construct,
                                  std::forward_as_tuple(serving::kRequestIdHeader),
                                  std::forward_as_tuple(std::move(id_value_)));
    responder.SendFrom(response);
    // Answered inline, the listener left the headers: the id's storage serves the next reply.
    if (!response.headers.empty() && response.headers.back().first == serving::kRequestIdHeader) {
      id_value_ = std::move(response.headers.back().second);
    }
  }
  void Error(int status, std::string_view message) {
    Reply(http::HttpResponse::Json(status, protocol::WriteJsonError(message)));
  }
  void Error(const Status& s) { Error(serving::HttpStatusFor(s.code()), s.message()); }
  // 405 with an Allow header and a message that says what to send instead.
  void WrongMethod(std::string_view allowed) {
    http::HttpResponse r = http::HttpResponse::Json(
        405, protocol::WriteJsonError("method " + req().method + " is not allowed on " +
                                      std::string(req().path) + "; use " + std::string(allowed)));
    r.headers.emplace_back("Allow", std::string(allowed));
    Reply(std::move(r));
  }

 private:
  std::string id_value_;     // the x-request-id value's storage (ReplyFrom), reused with the call
  http::HttpRequest owned_;  // the request when the call owns it
  http::HttpRequest* req_ = &owned_;  // the request: owned_, or the listener's (Lend)
};

}  // namespace ferry::server
