// ModelRouter::Call: the state of one request while it is routed and
// answered, possibly from an executor thread. Private to model_router*.cc.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "protocol/v2_json.h"
#include "server/model_router.h"
#include "serving/http_status.h"

namespace ferry::server {

struct ModelRouter::Call {
  http::HttpRequest req;
  http::Responder responder;
  std::shared_ptr<const serving::ModelCatalog> catalog;
  serving::Metrics::ModelCounters* counters = nullptr;
  serving::Protocol protocol = serving::Protocol::kOther;
  AccessLog* access_log = nullptr;
  const ModelRouter::ErrorSink* error_sink = nullptr;  // the router's; may be empty

  Call(http::HttpRequest&& r, http::Responder&& resp) : req(std::move(r)), responder(std::move(resp)) {}

  void Reply(http::HttpResponse response) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - req.received).count();
    serving::Metrics::Record(counters, protocol, response.status, seconds);
    if (access_log != nullptr) {
      access_log->Log(req.remote_address, req.method, req.target, response.status,
                      response.body.size(), seconds);
    }
    if (response.status >= 400 && counters != nullptr && error_sink != nullptr && *error_sink) {
      (*error_sink)(counters->model, response.status, response.body);
    }
    responder.Send(std::move(response));
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
