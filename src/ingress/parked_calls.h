// ParkedCalls: requests whose gateway evaluation waits on a network peer —
// a CUSTOM (ext-authz) provider reached over HTTP, or the first fetch of a
// JWKS — parked off the I/O thread and resumed when that work is done, the
// way the scale-to-zero activator parks a request until its model is loaded.
//
// Park() takes the request (a PipelineCall: the transport's request, its
// progress through the GatewayPipeline and how to answer) and starts the
// work: the ext-authz call on the AsyncHttpClient (with the provider's
// timeout), or a wait on the JwksCache (bounded by the RequestAuthentication
// timeout). When it ends, the result goes into the call's progress and the
// call is resumed on its transport's thread (PipelineCall::Post): the
// pipeline evaluates again from where it stopped — it may park again — and
// the call finishes with the outcome. No thread ever waits on a peer.
//
// Who calls it: IngressHandler (HTTP), GrpcIngress and the authz check.
// Threads: all methods are thread-safe; completions arrive on the HTTP
// client's or the JWKS cache's thread and only hand the call on. Ownership:
// a parked call is held here until it resumes, is cancelled (the client went
// away: Cancel) or is abandoned at shutdown; each call is resumed, finished
// or abandoned exactly once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "common/status.h"
#include "gateway/async_http.h"
#include "ingress/gateway_pipeline.h"

namespace ferry::ingress {

// One request that may park; implemented per transport.
class PipelineCall {
 public:
  virtual ~PipelineCall() = default;
  // The request as the pipeline sees it (views into this object).
  virtual GatewayInput Input() const = 0;
  virtual HeaderList& Headers() = 0;
  // Runs `fn` on the thread that owns the request (its connection's).
  virtual void Post(std::function<void()> fn) = 0;
  // The pipeline's final outcome: answer or hand on to the destination.
  virtual void Finish(GatewayOutcome& outcome) = 0;
  // The request ends without an outcome (client gone, too many parked,
  // shutting down): answer with `why` if anyone is listening.
  virtual void Abandon(const Status& why) = 0;

  GatewayProgress progress;
  std::atomic<uint64_t> ticket{0};  // the current park's, for Cancel
  bool explain = false;
  std::vector<GatewayStep> steps;  // filled when explaining
};

class ParkedCalls {
 public:
  struct Options {
    size_t max_parked = 10000;  // more are answered 503 at once
  };
  // Both borrowed / shared; the pipeline must outlive this object.
  ParkedCalls(const GatewayPipeline* pipeline, std::shared_ptr<gateway::AsyncHttpClient> http,
              Options options);
  ParkedCalls(const GatewayPipeline* pipeline, std::shared_ptr<gateway::AsyncHttpClient> http)
      : ParkedCalls(pipeline, std::move(http), Options()) {}
  ~ParkedCalls();  // Shutdown(0)

  // Parks `call` for `work`. Returns a ticket for Cancel, or 0 when the call
  // was refused (shutting down, too many parked) and already abandoned.
  uint64_t Park(std::shared_ptr<PipelineCall> call, gateway::PendingWork work);
  // The client went away: stops the work and abandons the call (no-op once
  // it has resumed). `ticket`: PipelineCall::ticket of the call.
  void Cancel(uint64_t ticket);
  // Refuses new parks, lets parked calls finish for up to `grace`, then
  // abandons the rest (each answered "shutting down"). Idempotent.
  void Shutdown(std::chrono::milliseconds grace);

  const GatewayPipeline& pipeline() const { return *pipeline_; }
  size_t parked() const;

 private:
  struct Entry {
    std::shared_ptr<PipelineCall> call;
    gateway::PendingWork::Kind kind = gateway::PendingWork::Kind::kNone;
    const gateway::ExtAuthzProvider* provider = nullptr;
    uint64_t http_id = 0;      // kExtAuthz, once started
    uint64_t jwks_ticket = 0;  // kJwks, once waiting
    gateway::JwksCache* jwks = nullptr;
  };
  // Takes the entry out (null when it already left).
  std::shared_ptr<PipelineCall> Take(uint64_t ticket, Entry* entry);
  void Resume(std::shared_ptr<PipelineCall> call);
  void Continue(const std::shared_ptr<PipelineCall>& call);
  void StopWork(const Entry& e);
  void CallbackDone();

  const GatewayPipeline* pipeline_;
  std::shared_ptr<gateway::AsyncHttpClient> http_;
  Options options_;
  mutable std::mutex mu_;
  std::condition_variable drained_;   // parked_ or callbacks_pending_ reached 0
  std::map<uint64_t, Entry> parked_;  // guarded by mu_
  int callbacks_pending_ = 0;         // guarded by mu_; completions not yet returned
  uint64_t next_ticket_ = 1;          // guarded by mu_
  bool closed_ = false;               // guarded by mu_
};

}  // namespace ferry::ingress
