// ModelRouter::Call: the state of one request while it is routed and
// answered, possibly from an executor thread. Private to model_router*.cc.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "protocol/v2_json.h"
#include "server/http_status.h"
#include "server/model_router.h"

namespace ferry::server {

struct ModelRouter::Call {
  HttpRequest req;
  Responder responder;
  std::shared_ptr<const ModelCatalog> catalog;
  Metrics::ModelCounters* counters = nullptr;
  Protocol protocol = Protocol::kOther;
  AccessLog* access_log = nullptr;
  const ModelRouter::ErrorSink* error_sink = nullptr;  // the router's; may be empty

  Call(HttpRequest&& r, Responder&& resp) : req(std::move(r)), responder(std::move(resp)) {}

  void Reply(HttpResponse response) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - req.received).count();
    Metrics::Record(counters, protocol, response.status, seconds);
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
    Reply(HttpResponse::Json(status, protocol::WriteJsonError(message)));
  }
  void Error(const Status& s) { Error(HttpStatusFor(s.code()), s.message()); }
  // 405 with an Allow header and a message that says what to send instead.
  void WrongMethod(std::string_view allowed) {
    HttpResponse r = HttpResponse::Json(
        405, protocol::WriteJsonError("method " + req.method + " is not allowed on " + std::string(req.path) +
                            "; use " + std::string(allowed)));
    r.headers.emplace_back("Allow", std::string(allowed));
    Reply(std::move(r));
  }
};

}  // namespace ferry::server
