// ModelRouter: the HTTP face of the model servers — KServe V1, the Open
// Inference Protocol (V2) REST API, MLflow's scoring server routes, health
// and Prometheus metrics — over a ModelCatalog snapshot.
//
// `ferry serve` installs it as the listener's handler directly; `ferry up`'s
// gateway calls HandleWith() with the catalog of the InferenceService a Host
// maps to, after its policy checks.
//
// Scale to zero (`ferry up`): a request that reaches a model entry still
// loading is offered to the Activator; if it takes the request, the request
// waits (no error) until the Activator resumes it with a catalog that holds
// the loaded model. A ModelRepository, when set, serves the model repository
// extension (load/unload through it swap this router's catalog). The ErrorSink hears every 4xx/5xx answered for a known
// model (the InferenceService log). Both are set before serving.
//
// Threads: Handle/HandleWith run on I/O threads. Fast predicts run inline;
// a model whose moving-average predict time exceeds the inline threshold, or
// a large batch, runs on the model's Executor and answers from there.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "server/access_log.h"
#include "http/http_types.h"
#include "serving/metrics.h"
#include "serving/model_catalog.h"
#include "serving/model_repository.h"
#include "serving/predict_call.h"
#include "serving/request_context.h"

namespace ferry::server {

struct ModelRouterOptions {
  std::string server_name = "ferry";
  std::string server_version;
  // Faster predicts stay on the I/O thread; larger batches always go to the executor.
  double inline_threshold_us = serving::kInlineThresholdUs;
  size_t inline_max_rows = serving::kInlineMaxRows;
};

class ModelRouter : public http::HttpHandler {
 public:
  ModelRouter(ModelRouterOptions options, serving::Metrics* metrics, AccessLog* access_log);

  using Resume = serving::ResumeParked;
  // Returns true when it took the request (it will call `resume` exactly once,
  // from any thread); false answers the usual 503 "still loading".
  using Activator = std::function<bool(const serving::ModelEntry& entry, Resume resume)>;
  // (metrics key of the model, HTTP status, response body, the request's context).
  using ErrorSink = std::function<void(const std::string&, int, std::string_view,
                                       const serving::RequestContext&)>;
  void SetActivator(Activator activator) { activator_ = std::move(activator); }
  void SetErrorSink(ErrorSink sink) { error_sink_ = std::move(sink); }
  // The model repository extension (/v2/repository/...), served and advertised in GET /v2 only
  // when set; not owned, outlives the router's serving.
  void SetRepository(serving::ModelRepository* repository) { repository_ = repository; }

  void SetCatalog(std::shared_ptr<const serving::ModelCatalog> catalog);
  std::shared_ptr<const serving::ModelCatalog> catalog() const;

  // `ferry serve`: the request's context is made here from its headers. The request is only
  // borrowed while Handle runs: an answer given before it returns (the common inline predict)
  // leaves it as it was, so the listener reuses its buffers; a request answered later takes its
  // body (and a copy of the rest).
  void Handle(http::HttpRequest& request, http::Responder responder) override;
  // The gateway: `context` is the one it made when the request entered. `request` is moved from.
  void HandleWith(std::shared_ptr<const serving::ModelCatalog> catalog, http::HttpRequest& request,
                  http::Responder responder, serving::RequestContext context);

  // Per-request state carried to whichever thread answers.
  struct Call;

 private:
  // Gives `call` the catalog snapshot and the router's sinks.
  void SetUp(Call& call, std::shared_ptr<const serving::ModelCatalog> catalog) const;
  void Route(std::shared_ptr<Call> call);
  void RouteV2(const std::shared_ptr<Call>& call, std::string_view rest);
  void RouteV1(const std::shared_ptr<Call>& call, std::string_view rest);
  // /v2/repository/... (repository_handlers.cc); `rest` follows "/v2/repository".
  void RouteRepository(const std::shared_ptr<Call>& call, std::string_view rest);
  void ServeModelMetadataV2(const std::shared_ptr<Call>& call, const serving::ModelEntry& m);
  void InferV2(const std::shared_ptr<Call>& call, const serving::ModelEntry& m);
  // `explain`: the V1 :explain verb (predictions and contributions).
  void PredictV1(const std::shared_ptr<Call>& call, const serving::ModelEntry& m, bool explain);
  void Invocations(const std::shared_ptr<Call>& call);
  // Runs `work` inline or on the model's executor, then answers.
  template <typename Work>
  void Dispatch(const std::shared_ptr<Call>& call, const serving::ModelEntry& m, size_t rows,
                Work&& work);
  void NotFoundRoute(const std::shared_ptr<Call>& call);
  // Resolves a model by name, answering 404/503 itself when it can't be used.
  const serving::ModelEntry* UsableModel(const std::shared_ptr<Call>& call, std::string_view name,
                                         bool v1_wording);

  // Parks `call` with the activator; true when it did.
  bool Activate(const std::shared_ptr<Call>& call, const serving::ModelEntry& m);

  ModelRouterOptions options_;
  Activator activator_;
  ErrorSink error_sink_;
  serving::ModelRepository* repository_ = nullptr;
  serving::Metrics* metrics_;
  AccessLog* access_log_;
  // Swapped by the control plane, read once per request: no mutex on the request path.
  std::atomic<std::shared_ptr<const serving::ModelCatalog>> catalog_;
};

// The context of a request from its x-request-id, traceparent and tracestate
// fields (several tracestate fields are one list, joined with commas).
serving::RequestContext RequestContextOf(const http::HttpRequest& request);
// The same into *out (every field written; its storage reused).
void RequestContextOf(const http::HttpRequest& request, serving::RequestContext* out);

}  // namespace ferry::server
